using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Providers.Redis;

/// <summary>
/// Checks an RDB file passing through in pieces, without holding it: the header (REDIS + a
/// version this PsBackup reads), the end marker, and the CRC-64 of everything before the
/// 8-byte trailer. Used on snapshots as they arrive and on data-directory restores.
/// </summary>
internal sealed class RdbStreamCheck(string description)
{
    private const int Tail = 9; // end marker + CRC-64 trailer
    private readonly byte[] _header = new byte[RdbFormat.HeaderLength];
    private readonly byte[] _tail = new byte[Tail];
    private int _tailLength;
    private ulong _crc;

    public long Length { get; private set; }
    public int Version { get; private set; } = -1;

    public void Append(ReadOnlySpan<byte> data)
    {
        if (Length < RdbFormat.HeaderLength)
        {
            var n = (int)Math.Min(data.Length, RdbFormat.HeaderLength - Length);
            data[..n].CopyTo(_header.AsSpan((int)Length));
            if (Length + n == RdbFormat.HeaderLength)
            {
                Version = RdbFormat.ParseHeader(_header);
                if (Version < 0) throw Corrupt("it does not start with an RDB header (REDIS + version)");
            }
        }
        Length += data.Length;
        // Everything but the last Tail bytes seen so far goes into the CRC.
        if (data.Length >= Tail)
        {
            _crc = Crc64.Update(_crc, _tail.AsSpan(0, _tailLength));
            _crc = Crc64.Update(_crc, data[..^Tail]);
            data[^Tail..].CopyTo(_tail);
            _tailLength = Tail;
            return;
        }
        var overflow = _tailLength + data.Length - Tail;
        if (overflow > 0)
        {
            _crc = Crc64.Update(_crc, _tail.AsSpan(0, overflow));
            Buffer.BlockCopy(_tail, overflow, _tail, 0, _tailLength - overflow);
            _tailLength -= overflow;
        }
        data.CopyTo(_tail.AsSpan(_tailLength));
        _tailLength += data.Length;
    }

    /// <summary>Call at the end: throws <see cref="IntegrityException"/> unless the whole file checks out.</summary>
    public void Complete()
    {
        if (Version < 0 || _tailLength < Tail) throw Corrupt("it is too short");
        if (Version > RdbFormat.MaxVersion)
            throw new IntegrityException($"{description} is RDB version {Version}; this PsBackup reads up to version {RdbFormat.MaxVersion}.");
        if (_tail[0] != RdbFormat.OpEof) throw Corrupt("it does not end with the RDB end marker (truncated)");
        var crc = Crc64.Update(_crc, _tail.AsSpan(0, 1));
        var stored = BitConverter.ToUInt64(_tail, 1); // little-endian, as Redis writes it on every platform it runs on here
        if (stored != 0 && stored != crc)
            throw Corrupt($"its CRC-64 is {crc:x16} but its trailer says {stored:x16}");
    }

    private IntegrityException Corrupt(string what) => new($"{description} is not a valid RDB file: {what}.");
}
