namespace PsBackup.Engine.Providers.Redis;

/// <summary>LZF decompression (liblzf, as redis' lzf_d.c): RDB strings may be stored LZF-compressed, keys included.</summary>
internal static class Lzf
{
    public static byte[] Decompress(ReadOnlySpan<byte> input, int outputLength)
    {
        var output = new byte[outputLength];
        int ip = 0, op = 0;
        while (ip < input.Length)
        {
            int ctrl = input[ip++];
            if (ctrl < 32)
            {
                var run = ctrl + 1; // literal run
                if (op + run > output.Length || ip + run > input.Length) throw Corrupt();
                input.Slice(ip, run).CopyTo(output.AsSpan(op));
                ip += run;
                op += run;
            }
            else
            {
                var length = ctrl >> 5; // back reference
                var back = op - ((ctrl & 0x1f) << 8) - 1;
                if (length == 7)
                {
                    if (ip >= input.Length) throw Corrupt();
                    length += input[ip++];
                }
                if (ip >= input.Length) throw Corrupt();
                back -= input[ip++];
                length += 2;
                if (back < 0 || op + length > output.Length) throw Corrupt();
                for (var i = 0; i < length; i++) output[op++] = output[back++]; // may overlap: byte by byte
            }
        }
        if (op != outputLength) throw Corrupt();
        return output;
    }

    private static InvalidDataException Corrupt() => new("An LZF-compressed string of the RDB data is corrupt.");
}
