using System.Buffers.Binary;
using System.Text;

namespace PsBackup.Engine.Providers.Redis;

/// <summary>
/// Writes an RDB file from DUMP payloads (a DUMP payload is an RDB value plus a version and
/// CRC trailer), so a logical backup is itself an RDB file that redis-server loads and
/// redis-check-rdb checks. The header is written with the first key, whose payload tells the
/// server's RDB version.
/// </summary>
internal sealed class RdbWriter(Stream output) : IDisposable
{
    private const int DefaultVersion = 9; // for a backup without keys: any Redis since 5.0 loads it
    private readonly BufferedStream _out = new(output, 1 << 16);
    private readonly byte[] _scratch = new byte[9];
    private ulong _crc;
    private int _version = -1;
    private int _database = -1;

    public int Version => _version;

    public void WriteKey(int database, ReadOnlySpan<byte> key, long expireAtMs, byte type, ReadOnlySpan<byte> value, int payloadVersion)
    {
        if (_version < 0) WriteHeader(payloadVersion);
        else if (payloadVersion > _version)
            throw new InvalidDataException($"DUMP payloads of RDB version {payloadVersion} after version {_version}: the server changed during the backup.");
        if (database != _database)
        {
            WriteByte(RdbFormat.OpSelectDb);
            WriteLength((ulong)database);
            _database = database;
        }
        if (expireAtMs >= 0)
        {
            WriteByte(RdbFormat.OpExpireTimeMs);
            BinaryPrimitives.WriteInt64LittleEndian(_scratch, expireAtMs);
            Write(_scratch.AsSpan(0, 8));
        }
        WriteByte(type);
        WriteLength((ulong)key.Length);
        Write(key);
        Write(value);
    }

    /// <summary>Writes the end marker and CRC-64 trailer.</summary>
    public void Finish()
    {
        if (_version < 0) WriteHeader(DefaultVersion);
        WriteByte(RdbFormat.OpEof);
        BinaryPrimitives.WriteUInt64LittleEndian(_scratch, _crc);
        _out.Write(_scratch, 0, 8);
        _out.Flush();
    }

    private void WriteHeader(int version)
    {
        _version = version;
        Write(RdbFormat.Header(version));
        WriteAux("psbackup", "logical");
        WriteAux("ctime", DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private void WriteAux(string name, string value)
    {
        WriteByte(RdbFormat.OpAux);
        foreach (var text in new[] { name, value })
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            WriteLength((ulong)bytes.Length);
            Write(bytes);
        }
    }

    private void WriteLength(ulong length)
    {
        int n;
        if (length < 1 << 6) { _scratch[0] = (byte)length; n = 1; }
        else if (length < 1 << 14) { _scratch[0] = (byte)(0x40 | (length >> 8)); _scratch[1] = (byte)length; n = 2; }
        else if (length <= uint.MaxValue) { _scratch[0] = 0x80; BinaryPrimitives.WriteUInt32BigEndian(_scratch.AsSpan(1), (uint)length); n = 5; }
        else { _scratch[0] = 0x81; BinaryPrimitives.WriteUInt64BigEndian(_scratch.AsSpan(1), length); n = 9; }
        Write(_scratch.AsSpan(0, n));
    }

    private void WriteByte(byte b)
    {
        _scratch[0] = b;
        Write(_scratch.AsSpan(0, 1));
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        _crc = Crc64.Update(_crc, bytes);
        _out.Write(bytes);
    }

    public void Dispose() => _out.Flush();
}
