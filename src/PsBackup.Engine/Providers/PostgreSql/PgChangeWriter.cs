using System.Buffers.Binary;
using System.Text;
using Npgsql.Replication.PgOutput;

namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>
/// Writes the "changes" artifact of an incremental: a PostgreSQL binary COPY stream of rows
/// (seq bigint, rel int, op text, old text[], new text[], present text) that a restore loads
/// as-is into a staging table and replays in seq order. Values are PostgreSQL's text output,
/// which every type parses back exactly. "present" marks unchanged TOAST values (0) in an
/// update; it is null when every value is present. Rows are assembled in reused buffers
/// (COPY needs a field's length before its bytes) and written out in batches.
/// </summary>
internal sealed class PgChangeWriter(Stream output) : IDisposable
{
    private const uint TextOid = 25;
    private const int FlushBytes = 256 << 10;
    // "PGCOPY\n\377\r\n\0", then flags and header-extension length (both 0).
    private static readonly byte[] Header = [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', 0x0a, 0xff, 0x0d, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    private readonly MemoryStream _pending = new();
    private readonly MemoryStream _array = new();
    private readonly StringBuilder _present = new();
    private readonly byte[] _value = new byte[1 << 16];
    private long _seq;
    private bool _unchanged; // the current row's new tuple has an unchanged TOAST value

    public long Rows => _seq;

    public void Dispose()
    {
        _pending.Dispose();
        _array.Dispose();
    }

    public async Task WriteAsync(int relation, char op, ReplicationTuple? oldRow, ReplicationTuple? newRow, CancellationToken ct)
    {
        if (_seq == 0 && _pending.Length == 0) _pending.Write(Header);
        WriteInt16(_pending, 6);
        WriteInt32(_pending, 8);
        WriteInt64(_pending, ++_seq);
        WriteInt32(_pending, 4);
        WriteInt32(_pending, relation);
        WriteInt32(_pending, 1);
        _pending.WriteByte((byte)op);
        _present.Clear();
        _unchanged = false;
        await WriteArrayAsync(oldRow, null, ct).ConfigureAwait(false);
        await WriteArrayAsync(newRow, _present, ct).ConfigureAwait(false);
        if (_unchanged)
        {
            var present = _present.ToString();
            WriteInt32(_pending, present.Length);
            _pending.Write(Encoding.ASCII.GetBytes(present));
        }
        else WriteInt32(_pending, -1);
        if (_pending.Length >= FlushBytes) await FlushAsync(ct).ConfigureAwait(false);
    }

    /// <summary>A row with only seq, rel and op (a truncation).</summary>
    public Task WriteTruncateAsync(int relation, CancellationToken ct) => WriteAsync(relation, 'T', null, null, ct);

    public async Task CompleteAsync(CancellationToken ct)
    {
        if (_seq == 0 && _pending.Length == 0) _pending.Write(Header);
        WriteInt16(_pending, -1); // trailer
        await FlushAsync(ct).ConfigureAwait(false);
    }

    private async Task FlushAsync(CancellationToken ct)
    {
        await output.WriteAsync(_pending.GetBuffer().AsMemory(0, (int)_pending.Length), ct).ConfigureAwait(false);
        _pending.SetLength(0);
    }

    /// <summary>A one-dimensional text[] field in binary form (null for no tuple); nulls for SQL NULL and unchanged TOAST values.</summary>
    private async Task WriteArrayAsync(ReplicationTuple? tuple, StringBuilder? present, CancellationToken ct)
    {
        if (tuple == null)
        {
            WriteInt32(_pending, -1);
            return;
        }
        _array.SetLength(0);
        WriteInt32(_array, 1);            // dimensions
        WriteInt32(_array, 0);            // has nulls: patched below
        WriteInt32(_array, (int)TextOid); // element type
        WriteInt32(_array, tuple.NumColumns);
        WriteInt32(_array, 1);            // lower bound
        var hasNull = false;
        await foreach (var value in tuple.WithCancellation(ct).ConfigureAwait(false))
        {
            if (present != null)
            {
                present.Append(value.IsUnchangedToastedValue ? '0' : '1');
                _unchanged |= value.IsUnchangedToastedValue;
            }
            if (value.IsDBNull || value.IsUnchangedToastedValue)
            {
                hasNull = true;
                WriteInt32(_array, -1);
                continue;
            }
            WriteInt32(_array, value.Length);
            await using var stream = value.GetStream();
            int n;
            while ((n = await stream.ReadAsync(_value, ct).ConfigureAwait(false)) > 0)
                _array.Write(_value, 0, n);
        }
        var bytes = _array.GetBuffer();
        if (hasNull) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), 1);
        WriteInt32(_pending, (int)_array.Length);
        _pending.Write(bytes, 0, (int)_array.Length);
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

    private static void WriteInt64(Stream s, long value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(b, value);
        s.Write(b);
    }
}
