namespace PsBackup.Engine.Providers.Files;

/// <summary>Unix mode in the index's octal text form, and applying mode and mtime on restore.</summary>
internal static class FileMetadata
{
    /// <summary>Interned: a tree has few distinct modes, and an index can have millions of entries.</summary>
    public static string? ModeOf(FileSystemInfo info) =>
        OperatingSystem.IsWindows() ? null : string.Intern(Convert.ToString((int)info.UnixFileMode, 8).PadLeft(4, '0'));

    public static void Apply(string path, string? mode, DateTime mtime, bool isSymlink)
    {
        if (mode != null && !isSymlink && !OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32(mode, 8));
        // On .NET 7+ this sets a symlink's own time, not its target's.
        if (Directory.Exists(path) && !isSymlink)
            Directory.SetLastWriteTimeUtc(path, mtime);
        else
            File.SetLastWriteTimeUtc(path, mtime);
    }
}
