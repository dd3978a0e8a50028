using System.Buffers.Binary;
using System.Text;
using Npgsql.Replication.PgOutput;

namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>
/// Writes the "changes" artifact of an incremental: a PostgreSQL binary COPY stream of rows
/// (seq bigint, rel int, op text, old text[], new text[], present text) that a restore loads
/// as-is into a staging table and replays in seq order. Values are PostgreSQL's text output,
/// which every type parses back exactly. "present" marks unchanged TOAST values (0) in an
/// update; it is null when every value is present. Each row is assembled in a reused buffer
/// because COPY needs a field's length before its bytes.
/// </summary>
internal sealed class PgChangeWriter(Stream output)
{
    private const uint TextOid = 25;
    // "PGCOPY\n\377\r\n\0", then flags and header-extension length (both 0).
    private static readonly byte[] Header = [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', 0x0a, 0xff, 0x0d, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    private readonly MemoryStream _row = new();
    private readonly MemoryStream _array = new();
    private readonly StringBuilder _present = new();
    private long _seq;
    private bool _started;

    public long Rows => _seq;

    public async Task WriteAsync(int relation, char op, ReplicationTuple? oldRow, ReplicationTuple? newRow, CancellationToken ct)
    {
        if (!_started)
        {
            await output.WriteAsync(Header, ct).ConfigureAwait(false);
            _started = true;
        }
        _row.SetLength(0);
        WriteInt16(_row, 6);
        WriteInt32(_row, 8);
        WriteInt64(_row, ++_seq);
        WriteInt32(_row, 4);
        WriteInt32(_row, relation);
        WriteText(_row, op.ToString());
        _present.Clear();
        WriteBytes(_row, oldRow == null ? null : await ArrayAsync(oldRow, null, ct).ConfigureAwait(false));
        WriteBytes(_row, newRow == null ? null : await ArrayAsync(newRow, _present, ct).ConfigureAwait(false));
        WriteText(_row, _present.ToString().Contains('0') ? _present.ToString() : null);
        _row.Position = 0;
        await _row.CopyToAsync(output, ct).ConfigureAwait(false);
    }

    /// <summary>A row with only seq, rel and op (a truncation).</summary>
    public Task WriteTruncateAsync(int relation, CancellationToken ct) => WriteAsync(relation, 'T', null, null, ct);

    public async Task CompleteAsync(CancellationToken ct)
    {
        if (!_started) await output.WriteAsync(Header, ct).ConfigureAwait(false);
        await output.WriteAsync(new byte[] { 0xff, 0xff }, ct).ConfigureAwait(false); // trailer: field count -1
    }

    /// <summary>A one-dimensional text[] in binary form; nulls for SQL NULL and for unchanged TOAST values.</summary>
    private async Task<byte[]> ArrayAsync(ReplicationTuple tuple, StringBuilder? present, CancellationToken ct)
    {
        _array.SetLength(0);
        var header = new byte[20];
        BinaryPrimitives.WriteInt32BigEndian(header, 1);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(8), TextOid);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), tuple.NumColumns);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(16), 1);
        _array.Write(header);
        var hasNull = false;
        await foreach (var value in tuple.WithCancellation(ct).ConfigureAwait(false))
        {
            present?.Append(value.IsUnchangedToastedValue ? '0' : '1');
            if (value.IsDBNull || value.IsUnchangedToastedValue)
            {
                hasNull = true;
                WriteInt32(_array, -1);
                continue;
            }
            WriteInt32(_array, value.Length);
            await using var stream = value.GetStream();
            await stream.CopyToAsync(_array, ct).ConfigureAwait(false);
        }
        var bytes = _array.ToArray();
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), hasNull ? 1 : 0);
        return bytes;
    }

    private static void WriteInt64(Stream s, long value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(b, value);
        s.Write(b);
    }

    private static void WriteText(Stream s, string? text) => WriteBytes(s, text == null ? null : Encoding.UTF8.GetBytes(text));

    private static void WriteBytes(Stream s, byte[]? bytes)
    {
        if (bytes == null) { WriteInt32(s, -1); return; }
        WriteInt32(s, bytes.Length);
        s.Write(bytes);
    }

    private static void WriteInt16(Stream s, short value)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteInt16BigEndian(b, value);
        s.Write(b);
    }

    private static void WriteInt32(Stream s, int value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(b, value);
        s.Write(b);
    }
}
