using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Providers.Redis;

/// <summary>
/// Copies selected databases and keys into an RDB file: SCAN (MATCH per pattern) finds the keys,
/// PTTL and DUMP are pipelined for each batch. Expiry is stored as an absolute Unix time in
/// milliseconds on the server's clock (TIME at the start plus elapsed time, plus PTTL), as RDB
/// files store it. Keys are read one by one while the server keeps running, so the copy is of
/// each key at its moment, not of one instant (take a Snapshot for that).
/// </summary>
internal sealed class RedisLogicalBackup(RespConnection connection, RedisTarget target, ProgressReporter progress)
{
    private const int ScanCount = 1000;

    public long Keys { get; private set; }
    public long ValueBytes { get; private set; }
    public Dictionary<string, long> Types { get; } = new(StringComparer.Ordinal);
    public List<int> Databases { get; } = [];

    /// <summary>Keys written per database: what restore drills compare the restored counts with.</summary>
    public SortedDictionary<int, long> KeysPerDatabase { get; } = [];

    /// <summary>What a drill compares (<see cref="RedisDrillCensus"/>), taken from the keys as they are written.</summary>
    public RedisDrillCensus Census { get; } = new(Random.Shared.Next());

    /// <summary>The RDB version of the file written (set by <see cref="Run"/>).</summary>
    public int RdbVersion { get; private set; }

    public void Run(Stream output, CancellationToken ct)
    {
        var time = connection.Call("TIME").Items!;
        var serverStartMs = time[0].AsInt64() * 1000 + time[1].AsInt64() / 1000;
        var clock = Stopwatch.StartNew();

        Databases.AddRange(target.Databases.Length > 0 ? target.Databases.Distinct().Order() : DatabasesWithKeys());
        var patterns = target.KeyPatterns.Select(Encoding.UTF8.GetBytes).ToArray();
        using var writer = new RdbWriter(output);
        foreach (var db in Databases)
        {
            try { connection.Call("SELECT", db); }
            catch (RedisServerException e)
            {
                throw new InvalidBackupRequestException("RedisDatabaseOutOfRange", $"Redis {connection.Endpoint} has no database {db} ({e.ServerMessage}).");
            }
            // SCAN may return a key twice (while the table resizes); an RDB must not hold it twice.
            var seen = new HashSet<UInt128>();
            var passes = patterns.Length == 0 ? new byte[]?[] { null } : patterns;
            for (var p = 0; p < passes.Length; p++)
            {
                var cursor = "0";
                do
                {
                    ct.ThrowIfCancellationRequested();
                    var reply = passes[p] == null
                        ? connection.Call("SCAN", cursor, "COUNT", ScanCount)
                        : connection.Call("SCAN", cursor, "MATCH", passes[p]!, "COUNT", ScanCount);
                    cursor = reply.Items![0].AsString()!;
                    var keys = reply.Items[1].Items!.Select(k => k.Bulk!)
                        .Where(k => !MatchesEarlier(passes, p, k) && seen.Add(Fingerprint(k))).ToList();
                    if (keys.Count > 0) DumpBatch(writer, db, keys, serverStartMs + clock.ElapsedMilliseconds);
                } while (cursor != "0");
            }
        }
        writer.Finish();
        RdbVersion = writer.Version;
    }

    /// <summary>A key matched by an earlier pattern was copied by that pattern's pass.</summary>
    private static bool MatchesEarlier(byte[]?[] patterns, int index, byte[] key)
    {
        for (var i = 0; i < index; i++)
            if (RedisGlob.IsMatch(patterns[i], key)) return true;
        return false;
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5351", Justification = "A fingerprint to spot a key SCAN returned twice, not a security use.")]
    private static UInt128 Fingerprint(byte[] key)
    {
        Span<byte> hash = stackalloc byte[16];
        MD5.HashData(key, hash);
        return BinaryPrimitives.ReadUInt128LittleEndian(hash);
    }

    private void DumpBatch(RdbWriter writer, int db, List<byte[]> keys, long serverNowMs)
    {
        foreach (var key in keys)
        {
            connection.Write("PTTL", key);
            connection.Write("DUMP", key);
        }
        connection.Flush();
        foreach (var key in keys)
        {
            var ttl = RespConnection.Expect(connection.ReadReply(), "PTTL").Integer;
            var dump = RespConnection.Expect(connection.ReadReply(), "DUMP").Bulk;
            if (dump == null || ttl == -2) continue; // deleted or expired since SCAN saw it
            if (dump.Length < 11) throw new IOException($"Redis {connection.Endpoint} returned a DUMP payload of {dump.Length} bytes for a key.");
            var version = BinaryPrimitives.ReadUInt16LittleEndian(dump.AsSpan(dump.Length - 10));
            var expireAt = ttl >= 0 ? serverNowMs + ttl : -1;
            writer.WriteKey(db, key, expireAt, dump[0], dump.AsSpan(1, dump.Length - 11), version);
            Census.Add(db, key, expireAt, dump[0], dump.AsSpan(1, dump.Length - 11));
            Keys++;
            KeysPerDatabase[db] = KeysPerDatabase.GetValueOrDefault(db) + 1;
            ValueBytes += dump.Length;
            var type = RdbFormat.TypeName(dump[0]);
            Types[type] = Types.GetValueOrDefault(type) + 1;
            progress.Add(dump.Length, null);
            progress.ItemDone();
        }
    }

    /// <summary>The databases INFO keyspace lists (those holding keys).</summary>
    private IEnumerable<int> DatabasesWithKeys()
    {
        var info = connection.Call("INFO", "keyspace").AsString() ?? "";
        foreach (var line in info.Split('\n'))
            if (line.StartsWith("db", StringComparison.Ordinal) && line.IndexOf(':') is var colon and > 2
                && int.TryParse(line.AsSpan(2, colon - 2), out var db))
                yield return db;
    }
}
