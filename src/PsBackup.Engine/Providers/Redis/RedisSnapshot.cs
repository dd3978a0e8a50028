using System.Text;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Providers.Redis;

/// <summary>
/// Fetches a consistent RDB snapshot of the whole server over the replication protocol, as
/// redis-cli --rdb does: REPLCONF capa eof, REPLCONF rdb-only 1, SYNC; the server forks, and
/// sends either "$&lt;length&gt;" and that many bytes (disk-based sync) or "$EOF:&lt;40-byte
/// marker&gt;" and the bytes up to that marker (diskless sync). Works on primaries and replicas,
/// needs no access to the server's disk, and checks the RDB (header, end marker, CRC-64) as it
/// streams through; the drill census (<see cref="RdbCensusFeed"/>) is taken beside it.
/// </summary>
internal static class RedisSnapshot
{
    private const int MarkerLength = 40;
    private const int ChunkSize = 1 << 17;

    public sealed record Result(long Bytes, int RdbVersion, RedisDrill.BackupContents? Census);

    public static Result Fetch(RespConnection connection, Stream output, ProgressReporter progress, CancellationToken ct)
    {
        var server = $"Redis {connection.Endpoint}";
        connection.Call("REPLCONF", "capa", "eof");
        try { connection.Call("REPLCONF", "rdb-only", "1"); }
        catch (RedisServerException) { } // before 7.0: the server streams commands after the RDB, which we do not read
        connection.Write("SYNC");
        connection.Flush();
        // The fork may take a while; the server sends a newline now and then until the payload starts.
        connection.SetReadTimeout(TimeSpan.FromMinutes(10));

        string line;
        do
        {
            ct.ThrowIfCancellationRequested();
            line = connection.ReadLine();
        } while (line.Length == 0);
        if (line.StartsWith('-')) throw new RedisServerException("SYNC", line[1..]);
        if (!line.StartsWith('$')) throw new IOException($"{server} answered SYNC with '{line}', not an RDB payload.");

        var check = new RdbStreamCheck($"The snapshot from {server}");
        using var census = new RdbCensusFeed($"The snapshot from {server}");
        var buffer = new byte[ChunkSize + MarkerLength];
        if (line.StartsWith("$EOF:", StringComparison.Ordinal))
        {
            var marker = Encoding.ASCII.GetBytes(line[5..]);
            if (marker.Length != MarkerLength) throw new IOException($"{server} sent an EOF marker of {marker.Length} bytes, not 40.");
            ReadUntilMarker(connection, marker, buffer, output, check, census, progress, ct);
        }
        else
        {
            var remaining = long.Parse(line.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
            while (remaining > 0)
            {
                ct.ThrowIfCancellationRequested();
                var n = connection.Read(buffer.AsSpan(0, (int)Math.Min(ChunkSize, remaining)));
                if (n == 0) throw new EndOfStreamException($"{server} closed the connection with {remaining} bytes of the snapshot still to come.");
                Emit(buffer.AsSpan(0, n), output, check, census, progress);
                remaining -= n;
            }
        }
        check.Complete();
        return new Result(check.Length, check.Version, census.Complete());
    }

    /// <summary>Diskless sync: the payload ends with the 40-byte marker, so the last 40 bytes read are always held back.</summary>
    private static void ReadUntilMarker(RespConnection connection, byte[] marker, byte[] buffer, Stream output, RdbStreamCheck check,
        RdbCensusFeed census, ProgressReporter progress, CancellationToken ct)
    {
        var held = 0; // bytes at the start of buffer not yet written
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var n = connection.Read(buffer.AsSpan(held, ChunkSize));
            if (n == 0) throw new EndOfStreamException($"Redis {connection.Endpoint} closed the connection before the end of the snapshot.");
            held += n;
            if (held >= MarkerLength && buffer.AsSpan(held - MarkerLength, MarkerLength).SequenceEqual(marker))
            {
                Emit(buffer.AsSpan(0, held - MarkerLength), output, check, census, progress);
                return;
            }
            if (held > MarkerLength)
            {
                Emit(buffer.AsSpan(0, held - MarkerLength), output, check, census, progress);
                Buffer.BlockCopy(buffer, held - MarkerLength, buffer, 0, MarkerLength);
                held = MarkerLength;
            }
        }
    }

    private static void Emit(ReadOnlySpan<byte> data, Stream output, RdbStreamCheck check, RdbCensusFeed census, ProgressReporter progress)
    {
        check.Append(data);
        census.Append(data);
        output.Write(data);
        progress.Add(data.Length, null);
    }
}
