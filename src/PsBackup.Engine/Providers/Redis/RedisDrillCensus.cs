using System.Text;
using Newtonsoft.Json;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers.Redis;

/// <summary>
/// What a restore drill compares a restored server with, counted from the RDB as the backup writes
/// it and stored beside it as the artifact "drill-census.json": keys and expiry times per database,
/// the server's RESIZEDB counts, a uniform sample of keys per database with their values, and the
/// RDB version. A drill then reads this small document instead of the whole RDB again. Backups
/// without it (made before) are drilled by reading their RDB (<see cref="RedisDrill.ReadBackupAsync"/>).
/// </summary>
internal sealed class RedisDrillCensus(int seed)
{
    public const string Artifact = "drill-census.json";
    private const int SamplePerDatabase = 50;
    private const int MaxSampledValue = 1 << 20; // bounds the document: at most 50 values of 1 MiB per database

    internal static readonly DocumentType DocumentType = new("Redis drill census", null, 1);

    private readonly Dictionary<int, long> _keys = [];
    private readonly Dictionary<int, List<long>> _expiring = [];
    private readonly Dictionary<int, List<RedisDrill.Sample>> _reservoirs = [];
    private readonly Random _random = new(seed);

    public void Add(RdbEntry entry) => Add(entry.Database, entry.Key, entry.ExpireAtMs, entry.Type, entry.Value.Span);

    public void Add(int database, byte[] key, long expireAtMs, byte type, ReadOnlySpan<byte> value)
    {
        var n = _keys[database] = _keys.GetValueOrDefault(database) + 1;
        if (expireAtMs >= 0) (_expiring.TryGetValue(database, out var list) ? list : _expiring[database] = []).Add(expireAtMs);
        if (value.Length > MaxSampledValue) return;
        // Reservoir sampling: every key of the database has the same chance to be compared.
        var reservoir = _reservoirs.TryGetValue(database, out var r) ? r : _reservoirs[database] = [];
        var slot = reservoir.Count < SamplePerDatabase ? reservoir.Count : _random.NextInt64(n);
        if (slot >= SamplePerDatabase) return;
        var sample = new RedisDrill.Sample(database, key, type, value.ToArray(), expireAtMs);
        if (slot == reservoir.Count) reservoir.Add(sample);
        else reservoir[(int)slot] = sample;
    }

    /// <summary>The census with the RDB's RESIZEDB counts (none in an RDB PsBackup wrote) and version.</summary>
    public RedisDrill.BackupContents ToContents(Dictionary<int, long> resizeDb, int rdbVersion) =>
        new(new(_keys), _expiring.ToDictionary(e => e.Key, e => e.Value), new(resizeDb), [.. _reservoirs.Values.SelectMany(s => s)], rdbVersion);

    public static byte[] Serialize(RedisDrill.BackupContents contents)
    {
        var document = new Document
        {
            RdbVersion = contents.Version,
            Keys = contents.Keys.ToDictionary(k => k.Key, k => k.Value),
            ResizeDb = contents.Hints.ToDictionary(k => k.Key, k => k.Value),
            Expiring = contents.Expiring.ToDictionary(e => e.Key, e => e.Value.Order().ToList()),
            Samples = [.. contents.Samples.Select(s => new SampleDocument { Database = s.Database, Key = s.Key, Type = s.Type, Value = s.Value, ExpireAtMs = s.ExpireAtMs })],
        };
        // One line: a database with many expiring keys lists them all.
        return Encoding.UTF8.GetBytes(JsonConvert.SerializeObject(document, Formatting.None, Json.Settings));
    }

    public static async Task<RedisDrill.BackupContents> ReadAsync(Stream stream, string backupId, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, ct).ConfigureAwait(false);
        var document = Json.FromBytes<Document>(buffer.ToArray(), $"The drill census ({Artifact}) of backup '{backupId}'");
        FormatVersion.Check(DocumentType, null, document.Version, $"The drill census ({Artifact})", backupId);
        return new(document.Keys, document.Expiring, document.ResizeDb,
            [.. document.Samples.Select(s => new RedisDrill.Sample(s.Database, s.Key, s.Type, s.Value, s.ExpireAtMs))], document.RdbVersion);
    }

    private sealed class Document
    {
        public int Version { get; set; } = DocumentType.Current;
        public int RdbVersion { get; set; }
        public Dictionary<int, long> Keys { get; set; } = [];
        public Dictionary<int, long> ResizeDb { get; set; } = [];
        public Dictionary<int, List<long>> Expiring { get; set; } = [];
        public List<SampleDocument> Samples { get; set; } = [];
    }

    private sealed class SampleDocument
    {
        [JsonProperty("db")]
        public int Database { get; set; }
        public byte[] Key { get; set; } = [];
        public byte Type { get; set; }
        public byte[] Value { get; set; } = [];
        public long ExpireAtMs { get; set; } = -1;
    }
}
