using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;
using PsBackup.Engine.Storage;

namespace PsBackup.Engine.Providers.PostgreSql.Cluster;

/// <summary>
/// collections/&lt;c&gt;/wal/expired.json: the stretches of WAL that retention removed on purpose
/// (written under the collection's lock before the files go; Copy-Backup carries it along). A
/// segment missing inside one of them is expired, not lost: the recovery window and Test-Backup
/// tell the two apart by it. Positions compare by the 16 hex digits after the timeline, so a
/// stretch covers every timeline's files there.
/// </summary>
internal sealed class WalExpiryRecord
{
    public const string FormatName = "psbackup-wal-expiry";
    public const int CurrentVersion = 1;

    /// <summary>Written with a digest from its first version on, like every document of repository format 2.</summary>
    internal static readonly DocumentType DocumentType = new("WAL expiry record", FormatName, CurrentVersion, DigestSince: 1);

    public string Format { get; set; } = FormatName;
    public int Version { get; set; } = CurrentVersion;

    /// <summary>Oldest first, neither overlapping nor adjacent.</summary>
    public List<WalExpiredRange> Ranges { get; set; } = [];

    public static string Key(string collection) => WalArchive.Prefix(collection) + "expired.json";

    /// <summary>The range covering <paramref name="name"/>'s position, or null.</summary>
    public WalExpiredRange? Covering(string name)
    {
        var key = WalPosition.Key(name);
        return Ranges.FirstOrDefault(r => string.CompareOrdinal(WalPosition.Key(r.First), key) <= 0 && string.CompareOrdinal(key, WalPosition.Key(r.Last)) <= 0);
    }

    public static async Task<WalExpiryRecord> ReadAsync(IObjectStore store, string collection, CancellationToken ct)
    {
        byte[] bytes;
        try
        {
            bytes = await RepositoryDocuments.ReadBytesAsync(store, Key(collection), ct).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            return new WalExpiryRecord();
        }
        var record = RepositoryDocuments.Read<WalExpiryRecord>(bytes, DocumentType, $"WAL expiry record of collection '{collection}'", $"{store.Location}/{Key(collection)}").Value;
        if (record.Ranges.Any(r => !WalFileName.IsValid(r.First) || !WalFileName.IsValid(r.Last) || WalFileName.IsHistory(r.First) || WalFileName.IsHistory(r.Last)))
            throw new DocumentCorruptException($"WAL expiry record of collection '{collection}' at '{store.Location}' names a file that is not a WAL segment. It is not trusted.");
        return record;
    }

    /// <summary>
    /// Adds <paramref name="added"/> (first and last file of each stretch), merges overlapping and
    /// adjacent stretches, drops those wholly before <paramref name="keepFrom"/> (nothing is read
    /// there any more) and replaces the document. Only under the collection's lock.
    /// </summary>
    public static async Task AddAsync(IObjectStore store, string collection, IEnumerable<(string First, string Last)> added, DateTimeOffset now,
        ulong? keepFrom, long segmentSize, CancellationToken ct)
    {
        var record = await ReadAsync(store, collection, ct).ConfigureAwait(false);
        var ranges = record.Ranges.Concat(added.Select(a => new WalExpiredRange { First = a.First, Last = a.Last, Removed = now }))
            .OrderBy(r => WalPosition.Key(r.First), StringComparer.Ordinal).ToList();
        var merged = new List<WalExpiredRange>();
        foreach (var range in ranges)
        {
            if (keepFrom is { } from && WalFileName.SegmentNumber(range.Last[..24], segmentSize) < from)
                continue;
            if (merged.Count > 0 && WalFileName.SegmentNumber(range.First[..24], segmentSize) <= WalFileName.SegmentNumber(merged[^1].Last[..24], segmentSize) + 1)
            {
                var last = merged[^1];
                if (string.CompareOrdinal(WalPosition.Key(range.Last), WalPosition.Key(last.Last)) > 0) last.Last = range.Last;
                if (range.Removed > last.Removed) last.Removed = range.Removed;
                continue;
            }
            merged.Add(range);
        }
        record.Ranges = merged;
        if (merged.Count == 0)
            await store.DeleteAsync(Key(collection), ct).ConfigureAwait(false); // nothing left to explain
        else
            await store.PutAsync(Key(collection), RepositoryDocuments.ToBytes(record, DocumentType), ct).ConfigureAwait(false);
    }
}

/// <summary>One stretch retention removed: its first and last WAL file and when.</summary>
internal sealed class WalExpiredRange
{
    public string First { get; set; } = "";
    public string Last { get; set; } = "";
    public DateTimeOffset Removed { get; set; }
}
