using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Providers.Redis;

/// <summary>
/// Reads an RDB file (versions up to <see cref="RdbFormat.MaxVersion"/>) as a stream of keys,
/// without decoding values: each value's bytes are only walked to find where it ends, and handed
/// out as they are, which is what RESTORE takes. Verifies the CRC-64 trailer (unless
/// <paramref name="checksum"/> is false: the caller checks the same bytes already) and that
/// nothing follows it. Memory: one buffer, plus the largest value when values are kept.
/// </summary>
internal sealed class RdbReader(Stream stream, string description, bool keepValues, bool checksum = true)
{
    private readonly byte[] _buffer = new byte[1 << 16];
    private readonly ArrayBufferWriter<byte> _capture = new();
    private int _pos, _end, _crcFrom, _captureFrom;
    private bool _capturing;
    private ulong _crc;

    public int Version { get; private set; }

    /// <summary>The key counts the server wrote before each database's keys (RESIZEDB; RDBs PsBackup writes have none).</summary>
    public Dictionary<int, long> DatabaseSizes { get; } = [];
    public long FunctionsSkipped { get; private set; }
    public long BytesRead { get; private set; }

    public IEnumerable<RdbEntry> Entries()
    {
        Span<byte> header = stackalloc byte[RdbFormat.HeaderLength];
        ReadExactly(header);
        Version = RdbFormat.ParseHeader(header);
        if (Version < 0) throw Corrupt("it does not start with an RDB header (REDIS + version)");
        if (Version > RdbFormat.MaxVersion)
            throw new IntegrityException($"{description} is RDB version {Version}; this PsBackup reads up to version {RdbFormat.MaxVersion}. Upgrade the PsBackup module.");

        var entry = new RdbEntry();
        var db = 0;
        long expireAt = -1;
        while (true)
        {
            var op = ReadByte();
            switch (op)
            {
                case RdbFormat.OpEof:
                    VerifyTrailer();
                    yield break;
                case RdbFormat.OpSelectDb: db = checked((int)Length()); break;
                case RdbFormat.OpResizeDb: DatabaseSizes[db] = checked((long)Length()); Length(); break;
                case RdbFormat.OpExpireTimeMs: expireAt = ReadInt64(); break;
                case RdbFormat.OpExpireTime: expireAt = ReadInt32() * 1000L; break;
                case RdbFormat.OpAux: SkipString(); SkipString(); break;
                case RdbFormat.OpIdle: Length(); break;
                case RdbFormat.OpFreq: ReadByte(); break;
                case RdbFormat.OpModuleAux: Length(); Length(); Length(); SkipModuleValue(); break;
                case RdbFormat.OpFunction2: SkipString(); FunctionsSkipped++; break;
                case RdbFormat.OpFunctionPreGa: throw Unsupported("a function library of a Redis 7.0 release candidate");
                default:
                    entry.Database = db;
                    entry.ExpireAtMs = expireAt;
                    entry.Type = op;
                    entry.Key = ReadString();
                    BeginCapture();
                    SkipValue(op);
                    entry.Value = EndCapture();
                    expireAt = -1;
                    yield return entry;
                    break;
            }
        }
    }

    private void VerifyTrailer()
    {
        FlushCrc();
        var computed = _crc;
        var stored = Version >= 5 ? (ulong)ReadInt64() : 0;
        if (checksum && stored != 0 && stored != computed) // 0: written with rdbchecksum no
            throw Corrupt($"its CRC-64 is {computed:x16} but its trailer says {stored:x16}");
        if (_pos < _end || stream.Read(_buffer, 0, 1) > 0)
            throw Corrupt("data follows its end marker");
    }

    // --- values: walked to their end, never decoded

    private void SkipValue(byte type)
    {
        switch (type)
        {
            case RdbFormat.String:
            case RdbFormat.HashZipmap or RdbFormat.ListZiplist or RdbFormat.SetIntset or RdbFormat.ZSetZiplist
                or RdbFormat.HashZiplist or RdbFormat.HashListpack or RdbFormat.ZSetListpack or RdbFormat.SetListpack:
                SkipString();
                break;
            case RdbFormat.List or RdbFormat.Set or RdbFormat.ListQuicklist:
                for (var n = Length(); n > 0; n--) SkipString();
                break;
            case RdbFormat.ZSet:
                for (var n = Length(); n > 0; n--)
                {
                    SkipString();
                    var length = ReadByte(); // 253 nan, 254 +inf, 255 -inf, else ASCII length
                    if (length < 253) Skip(length);
                }
                break;
            case RdbFormat.ZSet2:
                for (var n = Length(); n > 0; n--) { SkipString(); Skip(8); }
                break;
            case RdbFormat.Hash:
                for (var n = Length(); n > 0; n--) { SkipString(); SkipString(); }
                break;
            case RdbFormat.ListQuicklist2:
                for (var n = Length(); n > 0; n--) { Length(); SkipString(); } // container kind, node
                break;
            case RdbFormat.StreamListpacks or RdbFormat.StreamListpacks2 or RdbFormat.StreamListpacks3:
                SkipStream(type);
                break;
            case RdbFormat.Module2:
                Length(); // module id
                SkipModuleValue();
                break;
            default:
                throw Unsupported($"value type {type}{(type == RdbFormat.ModulePreGa ? " (a pre-release module value)" : "")}");
        }
    }

    /// <summary>Stream layout of redis' rdbLoadObject (RDB_TYPE_STREAM_LISTPACKS, _2 from 7.0, _3 from 7.2).</summary>
    private void SkipStream(byte type)
    {
        for (var n = Length(); n > 0; n--) { SkipString(); SkipString(); } // node key (master ID), listpack
        Length(); Length(); Length(); // length, last id ms, seq
        if (type >= RdbFormat.StreamListpacks2) { Length(); Length(); Length(); Length(); Length(); } // first id, max deleted id, entries added
        for (var groups = Length(); groups > 0; groups--)
        {
            SkipString(); // group name
            Length(); Length(); // last delivered id
            if (type >= RdbFormat.StreamListpacks2) Length(); // entries read
            for (var pel = Length(); pel > 0; pel--) { Skip(16); Skip(8); Length(); } // id, delivery time, delivery count
            for (var consumers = Length(); consumers > 0; consumers--)
            {
                SkipString(); // consumer name
                Skip(8); // seen time
                if (type >= RdbFormat.StreamListpacks3) Skip(8); // active time
                for (var pel = Length(); pel > 0; pel--) Skip(16);
            }
        }
    }

    /// <summary>Module values are self-describing: opcodes (signed, unsigned, float, double, string) up to EOF (0).</summary>
    private void SkipModuleValue()
    {
        while (true)
        {
            switch (Length())
            {
                case 0: return;
                case 1 or 2: Length(); break;
                case 3: Skip(4); break;
                case 4: Skip(8); break;
                case 5: SkipString(); break;
                default: throw Corrupt("a module value has an unknown opcode");
            }
        }
    }

    // --- lengths and strings

    private ulong Length()
    {
        var (length, encoded) = LengthOrEncoding();
        return encoded ? throw Corrupt("a length is an encoded string") : length;
    }

    private (ulong Value, bool Encoded) LengthOrEncoding()
    {
        var b = ReadByte();
        switch (b >> 6)
        {
            case 0: return ((ulong)(b & 0x3F), false);
            case 1: return ((ulong)(((b & 0x3F) << 8) | ReadByte()), false);
            case 2:
                Span<byte> raw = stackalloc byte[8];
                if (b == 0x80) { ReadExactly(raw[..4]); return (BinaryPrimitives.ReadUInt32BigEndian(raw), false); }
                if (b == 0x81) { ReadExactly(raw); return (BinaryPrimitives.ReadUInt64BigEndian(raw), false); }
                throw Corrupt($"unknown length prefix 0x{b:x2}");
            default: return ((ulong)(b & 0x3F), true);
        }
    }

    private byte[] ReadString()
    {
        var (value, encoded) = LengthOrEncoding();
        if (!encoded)
        {
            var bytes = new byte[checked((int)value)];
            ReadExactly(bytes);
            return bytes;
        }
        switch (value)
        {
            case 0: return Ascii((sbyte)ReadByte());
            case 1: return Ascii(ReadInt16());
            case 2: return Ascii(ReadInt32());
            case 3:
                var compressed = new byte[checked((int)Length())];
                var length = checked((int)Length());
                ReadExactly(compressed);
                try { return Lzf.Decompress(compressed, length); }
                catch (InvalidDataException e) { throw Corrupt(e.Message); }
            default: throw Corrupt($"unknown string encoding {value}");
        }
    }

    private static byte[] Ascii(long n) => Encoding.ASCII.GetBytes(n.ToString(CultureInfo.InvariantCulture));

    private void SkipString()
    {
        var (value, encoded) = LengthOrEncoding();
        if (!encoded) { Skip((long)value); return; }
        switch (value)
        {
            case 0: Skip(1); break;
            case 1: Skip(2); break;
            case 2: Skip(4); break;
            case 3:
                var compressed = Length();
                Length();
                Skip((long)compressed);
                break;
            default: throw Corrupt($"unknown string encoding {value}");
        }
    }

    // --- bytes: CRC and value capture are applied lazily to whole buffer ranges

    private byte ReadByte()
    {
        if (_pos == _end) Refill();
        return _buffer[_pos++];
    }

    private short ReadInt16() { Span<byte> b = stackalloc byte[2]; ReadExactly(b); return BinaryPrimitives.ReadInt16LittleEndian(b); }
    private int ReadInt32() { Span<byte> b = stackalloc byte[4]; ReadExactly(b); return BinaryPrimitives.ReadInt32LittleEndian(b); }
    private long ReadInt64() { Span<byte> b = stackalloc byte[8]; ReadExactly(b); return BinaryPrimitives.ReadInt64LittleEndian(b); }

    private void ReadExactly(Span<byte> destination)
    {
        while (destination.Length > 0)
        {
            if (_pos == _end) Refill();
            var n = Math.Min(destination.Length, _end - _pos);
            _buffer.AsSpan(_pos, n).CopyTo(destination);
            _pos += n;
            destination = destination[n..];
        }
    }

    private void Skip(long count)
    {
        while (count > 0)
        {
            if (_pos == _end) Refill();
            var n = (int)Math.Min(count, _end - _pos);
            _pos += n;
            count -= n;
        }
    }

    private void Refill()
    {
        if (checksum) _crc = Crc64.Update(_crc, _buffer.AsSpan(_crcFrom, _end - _crcFrom));
        if (_capturing) _capture.Write(_buffer.AsSpan(_captureFrom, _end - _captureFrom));
        _pos = _end = _crcFrom = _captureFrom = 0;
        var n = stream.Read(_buffer, 0, _buffer.Length);
        if (n == 0) throw Corrupt("it ends early (truncated)");
        _end = n;
        BytesRead += n;
    }

    private void FlushCrc()
    {
        if (checksum) _crc = Crc64.Update(_crc, _buffer.AsSpan(_crcFrom, _pos - _crcFrom));
        _crcFrom = _pos;
    }

    private void BeginCapture()
    {
        if (!keepValues) return;
        _capture.ResetWrittenCount();
        _capturing = true;
        _captureFrom = _pos;
    }

    private ReadOnlyMemory<byte> EndCapture()
    {
        if (!keepValues) return ReadOnlyMemory<byte>.Empty;
        _capture.Write(_buffer.AsSpan(_captureFrom, _pos - _captureFrom));
        _capturing = false;
        return _capture.WrittenMemory;
    }

    private IntegrityException Corrupt(string what) => new($"{description} is not a valid RDB file: {what}.");

    private PsBackupException Unsupported(string what) =>
        new RestoreFailedException($"{description} holds {what}, which PsBackup cannot restore key by key; restore it into a data directory (-Destination <dir>) and load it with redis-server.");
}
