namespace PsBackup.Engine.Providers.Redis;

/// <summary>Constants of the RDB file format (redis' rdb.h) that PsBackup reads and writes.</summary>
internal static class RdbFormat
{
    public const int HeaderLength = 9; // "REDIS" + 4 ASCII digits
    public const int MaxVersion = 12;  // Redis 7.4; 7.0 writes 10, 7.2 writes 11

    // Opcodes between entries.
    public const byte OpFunction2 = 0xF5, OpFunctionPreGa = 0xF6, OpModuleAux = 0xF7, OpIdle = 0xF8, OpFreq = 0xF9,
        OpAux = 0xFA, OpResizeDb = 0xFB, OpExpireTimeMs = 0xFC, OpExpireTime = 0xFD, OpSelectDb = 0xFE, OpEof = 0xFF;

    // Value types.
    public const byte String = 0, List = 1, Set = 2, ZSet = 3, Hash = 4, ZSet2 = 5, ModulePreGa = 6, Module2 = 7,
        HashZipmap = 9, ListZiplist = 10, SetIntset = 11, ZSetZiplist = 12, HashZiplist = 13, ListQuicklist = 14,
        StreamListpacks = 15, HashListpack = 16, ZSetListpack = 17, ListQuicklist2 = 18, StreamListpacks2 = 19,
        SetListpack = 20, StreamListpacks3 = 21;

    /// <summary>The Redis TYPE name of an RDB value type, for counts in the backup's state.</summary>
    public static string TypeName(byte type) => type switch
    {
        String => "string",
        List or ListZiplist or ListQuicklist or ListQuicklist2 => "list",
        Set or SetIntset or SetListpack => "set",
        ZSet or ZSet2 or ZSetZiplist or ZSetListpack => "zset",
        Hash or HashZipmap or HashZiplist or HashListpack => "hash",
        StreamListpacks or StreamListpacks2 or StreamListpacks3 => "stream",
        ModulePreGa or Module2 => "module",
        _ => $"type-{type}",
    };

    public static byte[] Header(int version) => System.Text.Encoding.ASCII.GetBytes($"REDIS{version:D4}");

    /// <summary>The version of a header, or -1 when the bytes are not an RDB header.</summary>
    public static int ParseHeader(ReadOnlySpan<byte> header)
    {
        if (header.Length < HeaderLength || !header[..5].SequenceEqual("REDIS"u8)) return -1;
        var version = 0;
        foreach (var b in header[5..HeaderLength])
        {
            if (b is < (byte)'0' or > (byte)'9') return -1;
            version = version * 10 + (b - '0');
        }
        return version;
    }
}
