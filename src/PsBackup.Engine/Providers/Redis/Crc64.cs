using System.Buffers.Binary;

namespace PsBackup.Engine.Providers.Redis;

/// <summary>
/// Redis' CRC-64 (Jones polynomial 0xad93d23594c935a9, reflected, init 0, as redis' crc64.c):
/// the checksum of RDB files and DUMP payloads. Slicing-by-8 so it keeps up with the network.
/// </summary>
internal static class Crc64
{
    private const ulong ReflectedPolynomial = 0x95AC9329AC4BC9B5;
    private static readonly ulong[][] Tables = BuildTables();

    private static ulong[][] BuildTables()
    {
        var tables = new ulong[8][];
        tables[0] = new ulong[256];
        for (ulong n = 0; n < 256; n++)
        {
            var crc = n;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ ReflectedPolynomial : crc >> 1;
            tables[0][n] = crc;
        }
        for (var t = 1; t < 8; t++)
        {
            tables[t] = new ulong[256];
            for (var n = 0; n < 256; n++) tables[t][n] = (tables[t - 1][n] >> 8) ^ tables[0][tables[t - 1][n] & 0xff];
        }
        return tables;
    }

    public static ulong Update(ulong crc, ReadOnlySpan<byte> data)
    {
        var t = Tables;
        var (t0, t1, t2, t3, t4, t5, t6, t7) = (t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7]);
        while (data.Length >= 8)
        {
            crc ^= BinaryPrimitives.ReadUInt64LittleEndian(data);
            crc = t7[crc & 0xff] ^ t6[(crc >> 8) & 0xff] ^ t5[(crc >> 16) & 0xff] ^ t4[(crc >> 24) & 0xff]
                  ^ t3[(crc >> 32) & 0xff] ^ t2[(crc >> 40) & 0xff] ^ t1[(crc >> 48) & 0xff] ^ t0[crc >> 56];
            data = data[8..];
        }
        foreach (var b in data) crc = t0[(crc ^ b) & 0xff] ^ (crc >> 8);
        return crc;
    }
}
