using System.Buffers.Binary;
using System.Numerics;

namespace PsBackup.Engine.Providers.PostgreSql.Cluster;

/// <summary>
/// CRC-32C (Castagnoli), as PostgreSQL's backup manifest computes it (its default manifest
/// checksum): the CPU's crc32 instruction where there is one, eight bytes at a time. A few times
/// cheaper than SHA-256 on both ends, and the manifest check only has to catch a file damaged or
/// cut between the server and the artifact (the artifact itself carries a SHA-256).
/// </summary>
internal sealed class Crc32C
{
    private uint _state = uint.MaxValue;

    public void Append(ReadOnlySpan<byte> data)
    {
        var crc = _state;
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (var b in data) crc = BitOperations.Crc32C(crc, b);
        _state = crc;
    }

    public uint Value => ~_state;

    /// <summary>The manifest's form: the CRC's four bytes in little-endian order (PostgreSQL writes the uint32's memory), as hex.</summary>
    public string ToManifestHex()
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, Value);
        return Convert.ToHexString(bytes).ToLowerInvariant();
    }
}
