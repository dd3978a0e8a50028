namespace PsBackup.Engine.Providers.Redis;

/// <summary>Redis' glob matching (util.c stringmatchlen: *, ?, [abc], [^a-z], \x) on key bytes.</summary>
internal static class RedisGlob
{
    public static bool IsMatch(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> key)
    {
        while (pattern.Length > 0)
        {
            switch (pattern[0])
            {
                case (byte)'*':
                    while (pattern.Length > 1 && pattern[1] == '*') pattern = pattern[1..];
                    if (pattern.Length == 1) return true;
                    for (var i = 0; i <= key.Length; i++)
                        if (IsMatch(pattern[1..], key[i..])) return true;
                    return false;
                case (byte)'?':
                    if (key.Length == 0) return false;
                    key = key[1..];
                    break;
                case (byte)'[':
                {
                    if (key.Length == 0) return false;
                    pattern = pattern[1..];
                    var negate = pattern.Length > 0 && pattern[0] == '^';
                    if (negate) pattern = pattern[1..];
                    var match = false;
                    while (pattern.Length > 0 && pattern[0] != ']')
                    {
                        if (pattern[0] == '\\' && pattern.Length >= 2)
                        {
                            pattern = pattern[1..];
                            if (pattern[0] == key[0]) match = true;
                        }
                        else if (pattern.Length >= 3 && pattern[1] == '-')
                        {
                            var (low, high) = pattern[0] <= pattern[2] ? (pattern[0], pattern[2]) : (pattern[2], pattern[0]);
                            if (key[0] >= low && key[0] <= high) match = true;
                            pattern = pattern[2..];
                        }
                        else if (pattern[0] == key[0]) match = true;
                        pattern = pattern[1..];
                    }
                    if (negate) match = !match;
                    if (!match) return false;
                    key = key[1..];
                    if (pattern.Length == 0) return key.Length == 0; // unterminated class ends the pattern
                    break;
                }
                case (byte)'\\' when pattern.Length >= 2:
                    pattern = pattern[1..];
                    if (key.Length == 0 || pattern[0] != key[0]) return false;
                    key = key[1..];
                    break;
                default:
                    if (key.Length == 0 || pattern[0] != key[0]) return false;
                    key = key[1..];
                    break;
            }
            pattern = pattern[1..];
        }
        return key.Length == 0;
    }
}
