using System.Buffers.Binary;
using System.Globalization;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers.Capabilities;

namespace PsBackup.Engine.Providers.Redis;

/// <summary>
/// Restore drills of Redis targets. Without -DrillServer the dump.rdb is restored into a folder and
/// loaded by a redis-server of the drill's own (<see cref="TemporaryRedisServer"/>), which needs
/// redis-server on this machine; with -DrillServer the keys are restored into that server under a
/// prefix of the drill's (<see cref="DrillServerScratch"/>). Then what the backup recorded when it
/// was taken (its drill census, <see cref="RedisDrillCensus"/>; for older backups, the RDB read again
/// with the kind's own reader) is compared with what the server holds: keys per database (and the
/// census' counts with RESIZEDB of a snapshot, the logical backup's counts), and a sample of keys per
/// database value for value (DUMP, else DEBUG DIGEST-VALUE) and by expiry time.
/// </summary>
internal static class RedisDrill
{
    public static string Describe(BackupTarget target, DrillSettings settings) =>
        settings.DrillServer != null
            ? $"keys prefixed psbackup-drill:… in Redis {settings.DrillServer} (deleted afterwards)"
            : $"a redis-server of its own on 127.0.0.1 loading the dump.rdb from a new folder under {Path.GetTempPath().TrimEnd('/')} (stopped and removed afterwards)";

    public static Task<DrillScratch> CreateAsync(BackupTarget target, DrillSettings settings)
    {
        var redis = (RedisTarget)target;
        if (settings.DrillServer != null)
            return Task.FromResult<DrillScratch>(new DrillServerScratch(redis, settings.DrillServer, settings));
        var program = TemporaryRedisServer.Find() ?? throw new DrillPrerequisiteMissingException(
            $"The drill of Redis target '{target.Name}' needs redis-server on this machine (looked in $PSBACKUP_REDIS_SERVER, PATH, /usr/bin, /usr/local/bin): " +
            "install it (apt-get install redis-server), or give -DrillServer host:port, a Redis server the drill may restore prefixed keys into.");
        var folder = Path.Combine(Path.GetTempPath(), $"psbackup-drill-{settings.DrillId}-{Guid.NewGuid().ToString("N")[..6]}");
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(folder);
        else Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return Task.FromResult<DrillScratch>(new TemporaryRedisServer(program, folder, settings));
    }

    /// <summary>One sampled key: where it is, its type and value bytes as in the RDB, and its expiry.</summary>
    internal sealed record Sample(int Database, byte[] Key, byte Type, byte[] Value, long ExpireAtMs);

    /// <summary>What the backup's RDB holds, as the checks compare it: keys and expiry times per database, RESIZEDB counts, a seeded sample, the RDB version.</summary>
    internal sealed record BackupContents(Dictionary<int, long> Keys, Dictionary<int, List<long>> Expiring, Dictionary<int, long> Hints, List<Sample> Samples, int Version);

    public static async Task<IReadOnlyList<DrillCheck>> VerifyAsync(TargetRestoreContext restored, DrillScratch drillScratch, CancellationToken ct)
    {
        var scratch = (RedisDrillScratch)drillScratch;
        var read = System.Diagnostics.Stopwatch.StartNew();
        // Read while the drill's own server loaded, when it has one (RedisDrillScratch.BeginReadingBackup): then only what is left of it is waited for here.
        var (keys, expiring, hints, samples, version) = await scratch.BackupAsync(restored, ct).ConfigureAwait(false);
        scratch.Stages.Add("checks: waited for the backup's contents", read.Elapsed);
        return await Task.Run(() =>
        {
            using var __ = scratch.Stages.Time("checks: server compared");
            using var connection = scratch.Connect(ct);
            using var _ = connection.CloseOn(ct);
            var checks = new List<DrillCheck> { RecordedCheck(restored, keys, hints) };
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var databases = keys.Keys.ToList();
            if (scratch.OwnServer) databases.AddRange(KeyspaceDatabases(connection).Except(databases)); // nothing else may be there
            foreach (var db in databases.Order())
            {
                var inBackup = keys.GetValueOrDefault(db);
                // Keys that expired before the restore began cannot be there; those expiring since may or may not be.
                var expiries = expiring.GetValueOrDefault(db) ?? [];
                var low = inBackup - expiries.Count(t => t <= now);
                var high = inBackup - expiries.Count(t => t <= scratch.Created.ToUnixTimeMilliseconds());
                var found = Count(connection, db, scratch.Prefix);
                checks.Add(new DrillCheck($"keys in database {db}", low == high ? $"{high} keys" : $"{low} to {high} keys (some expired during the drill)",
                    $"{found} keys", found >= low && found <= high));
            }
            foreach (var group in samples.GroupBy(s => s.Database).OrderBy(g => g.Key))
                checks.AddRange(CompareSamples(connection, group.Key, [.. group], scratch, version));
            return (IReadOnlyList<DrillCheck>)checks;
        }, ct).ConfigureAwait(false);
    }

    /// <summary>Whether the backup carries its drill census (<see cref="RedisDrillCensus"/>); backups made before it do not.</summary>
    internal static bool HasCensus(TargetRestoreContext restored) => restored.HeadRecord.Artifacts.Exists(a => a.Name == RedisDrillCensus.Artifact);

    /// <summary>
    /// What the backup holds, as the checks compare it: its drill census, recorded when the backup
    /// was taken; for a backup without one, its RDB read with the kind's own reader (keys per
    /// database, expiry times, RESIZEDB counts, and a seeded sample per database).
    /// </summary>
    internal static async Task<BackupContents> ReadBackupAsync(TargetRestoreContext restored, RedisDrillScratch scratch, CancellationToken ct)
    {
        if (HasCensus(restored))
        {
            using var __ = scratch.Stages.Time("checks: backup's census read");
            await using var census = await restored.OpenArtifactAsync(restored.Head.Id, RedisDrillCensus.Artifact, ct).ConfigureAwait(false);
            return await RedisDrillCensus.ReadAsync(census, restored.Head.Id, ct).ConfigureAwait(false);
        }
        using var _ = scratch.Stages.Time("checks: backup's RDB read");
        await using var stream = await restored.OpenArtifactAsync(restored.Head.Id, RedisProvider.Artifact, ct).ConfigureAwait(false);
        return await Task.Run(() =>
        {
            var reader = new RdbReader(stream, $"Backup '{restored.Head.Id}' of target '{restored.Target.Name}'", keepValues: true);
            var census = new RedisDrillCensus(scratch.Settings.DrillId.GetHashCode(StringComparison.Ordinal));
            foreach (var entry in reader.Entries())
            {
                ct.ThrowIfCancellationRequested();
                census.Add(entry);
            }
            return census.ToContents(reader.DatabaseSizes, reader.Version);
        }, ct).ConfigureAwait(false);
    }

    /// <summary>The keys in the RDB against the counts recorded when it was taken: the server's RESIZEDB (snapshots) or PsBackup's own count (logical backups).</summary>
    private static DrillCheck RecordedCheck(TargetRestoreContext restored, Dictionary<int, long> keys, Dictionary<int, long> hints)
    {
        const string name = "keys in the backup against its record";
        var observed = Describe(keys);
        var state = restored.HeadRecord.State;
        Dictionary<int, long> recorded;
        string source;
        if (state?["keysPerDatabase"] is Newtonsoft.Json.Linq.JObject perDatabase)
        {
            recorded = perDatabase.Properties().ToDictionary(p => int.Parse(p.Name, CultureInfo.InvariantCulture), p => (long)p.Value);
            source = "counted by the logical backup";
        }
        else if ((string?)state?["mode"] == nameof(RedisBackupMode.Snapshot))
        {
            // redis-server writes a RESIZEDB count before the keys of every database it saves: one missing is a damaged snapshot.
            recorded = hints;
            source = "the server's RESIZEDB counts in the snapshot";
        }
        else if (state?["keys"] is { } total)
        {
            var sum = keys.Values.Sum();
            return new DrillCheck(name + " (total only: this backup recorded no count per database)", $"{(long)total} keys", $"{sum} keys", sum == (long)total);
        }
        else
        {
            return new DrillCheck(name + " (not recorded by this backup: not compared)", "not recorded", observed, true);
        }
        var expected = Describe(recorded.Where(r => r.Value > 0).ToDictionary(r => r.Key, r => r.Value));
        return new DrillCheck($"{name} ({source})", expected, observed, expected == observed);
    }

    private static string Describe(Dictionary<int, long> counts) =>
        counts.Count == 0 ? "no keys" : string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"db {c.Key}: {c.Value}"));

    /// <summary>Keys of a database: DBSIZE on a server of the drill's own; the drill's prefixed keys (SCAN MATCH) on a drill server.</summary>
    private static long Count(RespConnection connection, int db, byte[] prefix)
    {
        connection.Call("SELECT", db);
        if (prefix.Length == 0) return connection.Call("DBSIZE").Integer;
        long count = 0;
        var cursor = "0";
        do
        {
            var reply = connection.Call("SCAN", cursor, "MATCH", (byte[])[.. prefix, (byte)'*'], "COUNT", 1000);
            cursor = reply.Items![0].AsString()!;
            count += reply.Items[1].Items!.Length;
        } while (cursor != "0");
        return count;
    }

    private static IEnumerable<int> KeyspaceDatabases(RespConnection connection)
    {
        var info = connection.Call("INFO", "keyspace").AsString() ?? "";
        foreach (var line in info.Split('\n'))
            if (line.StartsWith("db", StringComparison.Ordinal) && line.IndexOf(':') is var colon and > 2 && int.TryParse(line.AsSpan(2, colon - 2), out var db))
                yield return db;
    }

    /// <summary>
    /// Each sampled key's value as the server holds it against the RDB: DUMP's serialization equal
    /// to the RDB's (the common case), else by content (<see cref="SameByContent"/>: a server
    /// re-encodes on load — an old ziplist as a listpack — and orders hashtable sets and hashes by
    /// its own seeded hash). And its absolute expiry (PEXPIRETIME, Redis 7).
    /// </summary>
    private static IEnumerable<DrillCheck> CompareSamples(RespConnection connection, int db, List<Sample> samples, RedisDrillScratch scratch, int version)
    {
        connection.Call("SELECT", db);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 5_000; // keys about to expire are left out: they may go while compared
        var live = samples.Where(s => s.ExpireAtMs < 0 || s.ExpireAtMs > now).ToList();
        var differing = new List<string>();
        var wrongExpiry = new List<string>();
        var expiryCompared = true;
        var viaContent = 0;
        foreach (var sample in live)
        {
            var key = (byte[])[.. scratch.Prefix, .. sample.Key];
            var dump = connection.Call("DUMP", key).Bulk;
            if (dump == null)
            {
                differing.Add($"{Printable(sample.Key)} (missing)");
                continue;
            }
            var same = dump.Length == sample.Value.Length + 11 && dump[0] == sample.Type && dump.AsSpan(1, sample.Value.Length).SequenceEqual(sample.Value);
            if (!same)
            {
                var content = SameByContent(connection, key, sample, version);
                if (content == null) differing.Add($"{Printable(sample.Key)} (serialized differently, and with DEBUG not allowed on the drill server its type cannot be compared)");
                else if (content == false) differing.Add($"{Printable(sample.Key)} (different content)");
                else viaContent++;
            }
            if (!expiryCompared) continue;
            try
            {
                var expireAt = connection.Call("PEXPIRETIME", key).Integer;
                if (expireAt != sample.ExpireAtMs) wrongExpiry.Add($"{Printable(sample.Key)} ({sample.ExpireAtMs} restored as {expireAt})");
            }
            catch (RedisServerException)
            {
                expiryCompared = false; // before Redis 7.0
            }
        }
        yield return new DrillCheck($"values of {live.Count} sampled keys in database {db}", $"{live.Count} values as in the backup",
            differing.Count == 0 ? $"{live.Count} identical{(viaContent > 0 ? $" ({viaContent} serialized differently by the server, equal in content)" : "")}" : $"{differing.Count} differ: {string.Join(", ", differing.Take(5))}",
            differing.Count == 0);
        yield return expiryCompared
            ? new DrillCheck($"expiry times of the sampled keys in database {db}", $"{live.Count(s => s.ExpireAtMs >= 0)} with an expiry, to the millisecond",
                wrongExpiry.Count == 0 ? "identical" : $"{wrongExpiry.Count} differ: {string.Join(", ", wrongExpiry.Take(5))}", wrongExpiry.Count == 0)
            : new DrillCheck($"expiry times of the sampled keys in database {db} (not compared: the server predates PEXPIRETIME)", "as in the backup", "not compared", true);
    }

    /// <summary>
    /// Whether the restored value has the RDB's content: the RDB's value is RESTOREd beside it (then
    /// deleted) and both are compared with DEBUG DIGEST-VALUE, which digests content, not encoding;
    /// where DEBUG is not allowed (a drill server), by their content read with ordinary commands
    /// (<see cref="Content"/>). Null when neither can compare this type.
    /// </summary>
    private static bool? SameByContent(RespConnection connection, byte[] key, Sample sample, int version)
    {
        var side = System.Text.Encoding.UTF8.GetBytes($"psbackup-drill-expected:{Guid.NewGuid():N}");
        var trailer = new byte[10];
        BinaryPrimitives.WriteUInt16LittleEndian(trailer, (ushort)version);
        byte[] type = [sample.Type];
        BinaryPrimitives.WriteUInt64LittleEndian(trailer.AsSpan(2), Crc64.Update(Crc64.Update(Crc64.Update(0, type), sample.Value), trailer.AsSpan(0, 2)));
        try
        {
            // With the same expiry: DEBUG DIGEST-VALUE mixes in whether a key has one.
            var payload = new RespConnection.BulkParts(type, sample.Value, trailer);
            if (sample.ExpireAtMs >= 0) connection.Call("RESTORE", side, sample.ExpireAtMs, payload, "ABSTTL", "REPLACE");
            else connection.Call("RESTORE", side, 0, payload, "REPLACE");
            try
            {
                var digests = connection.Call("DEBUG", "DIGEST-VALUE", key, side).Items!;
                return digests[0].AsString() == digests[1].AsString();
            }
            catch (RedisServerException)
            {
                var (restored, expected) = (Content(connection, key), Content(connection, side));
                return restored == null || expected == null ? null : restored == expected;
            }
        }
        finally
        {
            connection.Call("DEL", side);
        }
    }

    /// <summary>A value's content as ordinary commands read it, order-independent where the type is (set members, hash fields), as one string; null for types they cannot read whole (streams' groups, modules).</summary>
    private static string? Content(RespConnection connection, byte[] key)
    {
        static string Hex(RespReply reply) => reply.Bulk == null ? "nil" : Convert.ToHexString(reply.Bulk);
        static IEnumerable<string> Pairs(RespReply[] items) => items.Chunk(2).Select(p => Hex(p[0]) + "=" + Hex(p[1]));
        return connection.Call("TYPE", key).AsString() switch
        {
            "string" => Hex(connection.Call("GET", key)),
            "list" => string.Join(",", connection.Call("LRANGE", key, 0, -1).Items!.Select(Hex)),
            "set" => string.Join(",", connection.Call("SMEMBERS", key).Items!.Select(Hex).Order(StringComparer.Ordinal)),
            "zset" => string.Join(",", Pairs(connection.Call("ZRANGE", key, 0, -1, "WITHSCORES").Items!)),
            "hash" => string.Join(",", Pairs(connection.Call("HGETALL", key).Items!).Order(StringComparer.Ordinal)),
            _ => null,
        };
    }

    private static string Printable(byte[] key)
    {
        var text = System.Text.Encoding.UTF8.GetString(key, 0, Math.Min(key.Length, 40));
        return "'" + string.Concat(text.Select(c => char.IsControl(c) ? '?' : c)) + (key.Length > 40 ? "…'" : "'");
    }
}
