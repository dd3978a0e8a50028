using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>
/// An order-independent digest of a table's rows, computed from the COPY stream as it passes (at
/// backup, on the way into the artifact; in a drill, from the restored table): the number of rows,
/// and the sum modulo 2^128 of the XXH3-128 (seed 0) of each row's COPY image — in binary format the
/// tuple from its 16-bit field count to the end of its last field, in text format the line without
/// its newline. A sum does not depend on the order rows arrive in (parallel parts, another
/// physical order after a restore), and one changed, missing or extra row changes it. Not a
/// cryptographic commitment: it proves data came back, it does not stop a forger (docs/design.md).
/// </summary>
internal sealed class PgRowHash
{
    private static readonly byte[] Signature = [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', 0x0a, 0xff, 0x0d, 0x0a, 0];

    private enum State { Header, HeaderExtension, TupleStart, FieldLength, FieldData, Trailer }

    private readonly XxHash128 _row = new();
    private readonly byte[] _partial = new byte[19];
    private readonly bool _text;
    private State _state;
    private int _partialLength;
    private long _skip;
    private int _fieldsLeft;
    private bool _inRow; // bytes of the current row have been seen
    private bool _buffered; // some of them went into _row (the row began in an earlier chunk)

    /// <param name="text">Text COPY (rows are lines) rather than binary.</param>
    public PgRowHash(bool text)
    {
        _text = text;
        _state = text ? State.TupleStart : State.Header;
    }

    public long Rows { get; private set; }
    public UInt128 Sum { get; private set; }

    /// <summary>A sum as 32 lowercase hex digits, as manifests and drill records store it.</summary>
    public static string Format(UInt128 sum) => sum.ToString("x32", CultureInfo.InvariantCulture);

    public void Append(ReadOnlySpan<byte> data)
    {
        if (_text) AppendText(data);
        else AppendBinary(data);
    }

    /// <summary>
    /// Hashes made-up rows (binary and text, short and long) every 50 ms for up to 3 s, until
    /// <paramref name="ct"/> is cancelled. A drill runs it while its restore runs: the runtime first
    /// runs XXH3's vector code unoptimized and recompiles it only after it has been called for a while,
    /// which without this happened during the read-back (measured, 1 GB, first drill of a process
    /// under load: ~0.5 s of CPU in unoptimized XXH3 code, none in the next drill).
    /// </summary>
    public static async Task WarmUpAsync(CancellationToken ct)
    {
        var binary = new List<byte>(Signature);
        binary.AddRange(new byte[8]); // flags, header extension length
        var text = new List<byte>();
        foreach (var size in new[] { 12, 100, 200, 1000, 3000 })
        {
            binary.AddRange([0, 1, (byte)(size >> 24), (byte)(size >> 16), (byte)(size >> 8), (byte)size]);
            binary.AddRange(new byte[size]);
            text.AddRange(new byte[size]);
            text.Add((byte)'\n');
        }
        binary.AddRange([0xff, 0xff]);
        byte[] rows = [.. binary], lines = [.. text];
        for (var round = 0; round < 60; round++)
        {
            for (var i = 0; i < 20; i++)
            {
                new PgRowHash(false).Append(rows);
                new PgRowHash(true).Append(lines);
            }
            try
            {
                await Task.Delay(50, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Adds the rows of another part of the same table.</summary>
    public void Add(PgRowHash other)
    {
        Rows += other.Rows;
        Sum += other.Sum;
    }

    /// <summary>Call at the end: a binary stream must have ended with its trailer, a text stream after a newline.</summary>
    public void Complete(string what)
    {
        if (_inRow || (!_text && _state != State.Trailer))
            throw new IntegrityException($"{what}: the COPY stream ended in the middle of a row.");
    }

    /// <summary>A row whose bytes are all in one chunk (nearly every row) is hashed in one call, without the incremental state.</summary>
    private void EndRow(ReadOnlySpan<byte> rest)
    {
        if (_buffered)
        {
            _row.Append(rest);
            Sum += _row.GetCurrentHashAsUInt128();
            _row.Reset();
            _buffered = false;
        }
        else Sum += XxHash128.HashToUInt128(rest);
        Rows++;
        _inRow = false;
    }

    private void AppendText(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            var newline = data.IndexOf((byte)'\n');
            if (newline < 0)
            {
                _row.Append(data);
                _inRow = _buffered = true;
                return;
            }
            EndRow(data[..newline]);
            data = data[(newline + 1)..];
        }
    }

    /// <summary>
    /// Walks PostgreSQL's binary COPY format: an 11-byte signature, flags and a header extension,
    /// then tuples (int16 field count, then per field an int32 length, -1 for NULL, and the bytes),
    /// then an int16 -1. Only lengths are read; the bytes of each tuple go into its hash.
    /// </summary>
    private void AppendBinary(ReadOnlySpan<byte> data)
    {
        var rowFrom = 0; // where the current tuple's bytes start in this chunk (0 when it began in an earlier one)
        var i = 0;
        while (i < data.Length)
        {
            switch (_state)
            {
                case State.Header:
                    if (!Fill(data, ref i, 19)) break;
                    if (!_partial.AsSpan(0, 11).SequenceEqual(Signature))
                        throw new IntegrityException("The COPY stream does not start with PostgreSQL's binary COPY signature.");
                    _skip = BinaryPrimitives.ReadUInt32BigEndian(_partial.AsSpan(15));
                    _partialLength = 0;
                    _state = _skip == 0 ? State.TupleStart : State.HeaderExtension;
                    break;
                case State.HeaderExtension:
                    Skip(data, ref i);
                    if (_skip == 0) _state = State.TupleStart;
                    break;
                case State.TupleStart:
                    var whole = _inRow ? 0 : WholeTuple(data, i);
                    if (whole > 0)
                    {
                        EndRow(data[i..whole]);
                        i = whole;
                        break;
                    }
                    if (!_inRow)
                    {
                        rowFrom = i;
                        _inRow = true;
                    }
                    if (!Fill(data, ref i, 2)) break;
                    _fieldsLeft = BinaryPrimitives.ReadInt16BigEndian(_partial);
                    _partialLength = 0;
                    if (_fieldsLeft < 0)
                    {
                        _row.Reset(); // the trailer is no row
                        _inRow = _buffered = false;
                        _state = State.Trailer;
                    }
                    else if (_fieldsLeft == 0) EndTuple(data, ref rowFrom, i);
                    else _state = State.FieldLength;
                    break;
                case State.FieldLength:
                    if (!Fill(data, ref i, 4)) break;
                    var length = BinaryPrimitives.ReadInt32BigEndian(_partial);
                    _partialLength = 0;
                    if (length > 0)
                    {
                        _skip = length;
                        _state = State.FieldData;
                    }
                    else NextField(data, ref rowFrom, i);
                    break;
                case State.FieldData:
                    Skip(data, ref i);
                    if (_skip == 0) NextField(data, ref rowFrom, i);
                    break;
                case State.Trailer:
                    throw new IntegrityException("The COPY stream holds data after its trailer.");
            }
        }
        if (_inRow)
        {
            _row.Append(data[rowFrom..]); // the tuple goes on in the next chunk
            _buffered = true;
        }
    }

    /// <summary>
    /// The fast path: when a whole tuple starts at <paramref name="start"/> and ends within
    /// <paramref name="data"/>, its end; otherwise 0 (a tuple split across chunks, or the trailer),
    /// and the state machine below takes it byte range by byte range.
    /// </summary>
    private static int WholeTuple(ReadOnlySpan<byte> data, int start)
    {
        if (data.Length - start < 2) return 0;
        int fields = BinaryPrimitives.ReadInt16BigEndian(data[start..]);
        if (fields < 0) return 0;
        var p = start + 2;
        for (; fields > 0; fields--)
        {
            if (data.Length - p < 4) return 0;
            var length = BinaryPrimitives.ReadInt32BigEndian(data[p..]);
            p += 4;
            if (length <= 0) continue;
            if (data.Length - p < length) return 0;
            p += length;
        }
        return p;
    }

    private void NextField(ReadOnlySpan<byte> data, ref int rowFrom, int end)
    {
        if (--_fieldsLeft == 0) EndTuple(data, ref rowFrom, end);
        else _state = State.FieldLength;
    }

    private void EndTuple(ReadOnlySpan<byte> data, ref int rowFrom, int end)
    {
        EndRow(data[rowFrom..end]);
        rowFrom = end;
        _state = State.TupleStart;
    }

    private void Skip(ReadOnlySpan<byte> data, ref int i)
    {
        var n = (int)Math.Min(_skip, data.Length - i);
        i += n;
        _skip -= n;
    }

    /// <summary>Collects <paramref name="count"/> bytes across chunks; true once all are there.</summary>
    private bool Fill(ReadOnlySpan<byte> data, ref int i, int count)
    {
        var n = Math.Min(count - _partialLength, data.Length - i);
        data.Slice(i, n).CopyTo(_partial.AsSpan(_partialLength));
        _partialLength += n;
        i += n;
        return _partialLength == count;
    }
}
