using PsBackup.Engine.Providers.Files.Native;

namespace PsBackup.Engine.Providers.Files;

/// <summary>
/// The index's order: ascending by the bytes of the whole relative path (Linux names are bytes).
/// It differs from ordinal UTF-16 order (a character above U+FFFF sorts before U+E000 there,
/// after it in UTF-8) and from any culture's order, so the walk, the base index and the restore
/// all compare with this one function. Equal UTF-16 prefixes have equal bytes, so only the rest
/// after the first difference is converted, and not even that when both characters are ASCII.
/// </summary>
internal static class PathOrder
{
    public static int Compare(string a, string b)
    {
        var common = a.AsSpan().CommonPrefixLength(b);
        if (common == a.Length || common == b.Length) return a.Length.CompareTo(b.Length);
        if (a[common] < 0x80 && b[common] < 0x80) return a[common].CompareTo(b[common]);
        if (a[common] < 0x80) return -1; // an ASCII byte sorts before any byte of a longer sequence or an escaped byte
        if (b[common] < 0x80) return 1;
        if (common > 0 && char.IsHighSurrogate(a[common - 1])) common--; // compare whole characters
        return FsName.CompareBytes(FsName.ToBytes(a[common..]), FsName.ToBytes(b[common..]));
    }

    /// <summary>Whether <paramref name="path"/> lies below the directory <paramref name="directory"/>.</summary>
    public static bool IsBelow(string path, string directory) =>
        path.Length > directory.Length && path[directory.Length] == '/' && path.StartsWith(directory, StringComparison.Ordinal);

    /// <summary>
    /// Whether, in index order, every path below <paramref name="directory"/> comes before
    /// <paramref name="path"/>: its contents are contiguous from directory + "/", so once a path
    /// sorts after that and is not below it, none will follow.
    /// </summary>
    public static bool IsPastContents(string path, string directory)
    {
        if (path.Length > directory.Length && path.StartsWith(directory, StringComparison.Ordinal))
            return path[directory.Length] > '/'; // "a/…" is below; "a.txt" comes before "a/", "a0" after
        return Compare(path, directory) > 0; // they differ within the directory's name, as they would against directory + "/"
    }
}
