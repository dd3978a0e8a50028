using System.Buffers.Binary;
using System.Text;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Providers.Redis;

/// <summary>
/// Restores the keys of an RDB artifact (snapshot or logical) into a running server with
/// pipelined RESTORE … ABSTTL, optionally renaming keys (prefix) and databases (map). Two passes
/// over the artifact: the first verifies it whole (SHA-256, CRC-64) and, without -Force, checks
/// that no key exists at the destination; only then the second writes. Keys whose expiry time
/// has passed are not restored.
/// </summary>
internal sealed class RedisKeyRestorer(RespConnection connection, TargetRestoreContext context, Func<CancellationToken, Task<Stream>> openArtifact)
{
    private const int BatchKeys = 1000;
    private const long BatchBytes = 16 << 20;
    private const int ConflictsShown = 5;

    private readonly IReadOnlyDictionary<int, int>? _databaseMap = context.OptionsOr<RedisRestoreOptions>().DatabaseMap;
    private readonly byte[] _prefix = Encoding.UTF8.GetBytes(context.OptionsOr<RedisRestoreOptions>().KeyPrefix ?? "");
    private readonly ProgressReporter _progress = new(context.Progress, $"Restoring '{context.Target.Name}' into Redis {connection.Endpoint}", -1);
    private string Server => $"Redis {connection.Endpoint}";

    public long Restored { get; private set; }
    public long Expired { get; private set; }
    public long Bytes { get; private set; }

    public async Task RunAsync(CancellationToken ct)
    {
        await using (var stream = await openArtifact(ct).ConfigureAwait(false))
            await Task.Run(() => Preflight(stream, ct), ct).ConfigureAwait(false);
        await using (var stream = await openArtifact(ct).ConfigureAwait(false))
            await Task.Run(() => Restore(stream, ct), ct).ConfigureAwait(false);
    }

    private int MapDatabase(int db) => _databaseMap != null && _databaseMap.TryGetValue(db, out var to) ? to : db;

    private byte[] MapKey(byte[] key)
    {
        if (_prefix.Length == 0) return key;
        var mapped = new byte[_prefix.Length + key.Length];
        _prefix.CopyTo(mapped, 0);
        key.CopyTo(mapped, _prefix.Length);
        return mapped;
    }

    /// <summary>Reads the artifact to its end (which verifies it) and, without -Force, finds keys that already exist.</summary>
    private void Preflight(Stream stream, CancellationToken ct)
    {
        var reader = new RdbReader(stream, $"Backup '{context.Head.Id}' of target '{context.Target.Name}'", keepValues: false);
        var conflicts = new List<string>();
        long conflictCount = 0;
        var batch = new List<(int Db, byte[] Key)>();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var entry in reader.Entries())
        {
            ct.ThrowIfCancellationRequested();
            if (context.Force || entry.ExpireAtMs >= 0 && entry.ExpireAtMs <= now) continue;
            batch.Add((MapDatabase(entry.Database), MapKey(entry.Key)));
            if (batch.Count == BatchKeys) conflictCount += CountExisting(batch, conflicts);
        }
        if (batch.Count > 0) conflictCount += CountExisting(batch, conflicts);
        if (conflictCount > 0)
            throw new RestoreConflictException(
                $"{conflictCount} key(s) of backup '{context.Head.Id}' already exist at {Server} ({string.Join(", ", conflicts)}{(conflictCount > conflicts.Count ? ", …" : "")}). " +
                "Nothing was restored. Use -Force to replace them, or -KeyPrefix / -DatabaseMap to restore beside them.")
            { TargetObject = context.Target.Name };
    }

    private long CountExisting(List<(int Db, byte[] Key)> batch, List<string> conflicts)
    {
        var db = -1;
        var selects = 0;
        foreach (var (keyDb, key) in batch)
        {
            if (keyDb != db) { connection.Write("SELECT", keyDb); db = keyDb; selects++; }
            connection.Write("EXISTS", key);
        }
        connection.Flush();
        long found = 0;
        db = -1;
        foreach (var (keyDb, key) in batch)
        {
            if (keyDb != db) { SelectReply(keyDb); db = keyDb; }
            if (RespConnection.Expect(connection.ReadReply(), "EXISTS").Integer == 0) continue;
            found++;
            if (conflicts.Count < ConflictsShown) conflicts.Add($"db {keyDb} '{Printable(key)}'");
        }
        batch.Clear();
        return found;
    }

    private void Restore(Stream stream, CancellationToken ct)
    {
        var reader = new RdbReader(stream, $"Backup '{context.Head.Id}' of target '{context.Target.Name}'", keepValues: true);
        var trailer = new byte[10];
        var pending = new List<(byte[]? Key, int Db)>(); // commands awaiting their reply, in order; no key: a SELECT
        long pendingBytes = 0;
        var db = -1;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var entry in reader.Entries())
        {
            ct.ThrowIfCancellationRequested();
            if (entry.ExpireAtMs >= 0 && entry.ExpireAtMs <= now)
            {
                Expired++;
                continue;
            }
            if (reader.Version > 0 && trailer[0] == 0 && trailer[1] == 0)
                BinaryPrimitives.WriteUInt16LittleEndian(trailer, (ushort)reader.Version);
            var target = MapDatabase(entry.Database);
            if (target != db)
            {
                connection.Write("SELECT", target);
                pending.Add((null, target));
                db = target;
            }
            // A DUMP payload: type, value, RDB version (2 bytes LE), CRC-64 (8 bytes LE) of all before it.
            var type = new[] { entry.Type };
            var crc = Crc64.Update(Crc64.Update(Crc64.Update(0, type), entry.Value.Span), trailer.AsSpan(0, 2));
            BinaryPrimitives.WriteUInt64LittleEndian(trailer.AsSpan(2), crc);
            var key = MapKey(entry.Key);
            var payload = new RespConnection.BulkParts(type, entry.Value, trailer.AsMemory());
            var ttl = entry.ExpireAtMs >= 0 ? entry.ExpireAtMs : 0;
            if (context.Force) connection.Write("RESTORE", key, ttl, payload, "ABSTTL", "REPLACE");
            else connection.Write("RESTORE", key, ttl, payload, "ABSTTL");
            pending.Add((key, target));
            pendingBytes += entry.Value.Length;
            Bytes += entry.Value.Length + 11;
            _progress.Add(entry.Value.Length + 11, null);
            if (pending.Count >= BatchKeys || pendingBytes >= BatchBytes)
            {
                ReadReplies(pending);
                pendingBytes = 0;
            }
        }
        ReadReplies(pending);
    }

    private void ReadReplies(List<(byte[]? Key, int Db)> pending)
    {
        connection.Flush();
        foreach (var (key, db) in pending)
        {
            if (key == null) { SelectReply(db); continue; }
            var reply = connection.ReadReply();
            if (reply.IsError)
            {
                var e = new RedisServerException("RESTORE", reply.Text!);
                if (e.Code == "BUSYKEY")
                    throw new RestoreConflictException($"Key '{Printable(key)}' was created at {Server} while the restore ran; {Restored} keys were restored before it. Use -Force to replace existing keys.")
                    { TargetObject = context.Target.Name };
                throw e.Code == "NOPERM"
                    ? RedisConnections.Translate(e, connection.Endpoint)
                    : new RestoreFailedException($"{Server} refused key '{Printable(key)}' ({reply.Text}); {Restored} keys were restored before it.", e);
            }
            Restored++;
            _progress.ItemDone();
        }
        pending.Clear();
    }

    private void SelectReply(int db)
    {
        var reply = connection.ReadReply();
        if (reply.IsError)
            throw new InvalidBackupRequestException("RedisDatabaseOutOfRange",
                $"{Server} cannot select database {db} ({reply.Text}). Map it to an existing one with -DatabaseMap.");
    }

    private static string Printable(byte[] key)
    {
        var text = Encoding.UTF8.GetString(key, 0, Math.Min(key.Length, 60));
        return string.Concat(text.Select(c => char.IsControl(c) ? '?' : c)) + (key.Length > 60 ? "…" : "");
    }
}
