namespace PsBackup.Engine.Tests.Support;

/// <summary>Writes files, links and directories into a tree with explicit metadata, for deterministic tests.</summary>
public sealed class TreeBuilder(string root)
{
    private static readonly DateTime BaseTime = new(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
    private int _tick;

    public string Root => root;

    public string PathOf(string rel) => System.IO.Path.Combine(root, rel);

    /// <summary>Writes a file with a distinct, strictly increasing mtime so change detection sees every edit.</summary>
    public TreeBuilder File(string rel, byte[] content, UnixFileMode mode = (UnixFileMode)420)
    {
        var path = PathOf(rel);
        System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllBytes(path, content);
        System.IO.File.SetUnixFileMode(path, mode);
        System.IO.File.SetLastWriteTimeUtc(path, NextTime());
        return this;
    }

    public TreeBuilder File(string rel, string content, UnixFileMode mode = (UnixFileMode)420) =>
        File(rel, System.Text.Encoding.UTF8.GetBytes(content), mode);

    public TreeBuilder RandomFile(string rel, int size, int seed, bool compressible = false)
    {
        var bytes = new byte[size];
        var random = new Random(seed);
        if (compressible)
            for (var i = 0; i < size; i++) bytes[i] = (byte)"abcdefgh \n"[random.Next(10)];
        else
            random.NextBytes(bytes);
        return File(rel, bytes);
    }

    public TreeBuilder Directory(string rel, UnixFileMode mode = (UnixFileMode)493)
    {
        var path = PathOf(rel);
        System.IO.Directory.CreateDirectory(path);
        System.IO.File.SetUnixFileMode(path, mode);
        return this;
    }

    public TreeBuilder Symlink(string rel, string target)
    {
        var path = PathOf(rel);
        System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        System.IO.File.CreateSymbolicLink(path, target);
        System.IO.File.SetLastWriteTimeUtc(path, NextTime());
        return this;
    }

    public TreeBuilder Delete(string rel)
    {
        var path = PathOf(rel);
        if (System.IO.Directory.Exists(path) && new DirectoryInfo(path).LinkTarget == null) System.IO.Directory.Delete(path, true);
        else System.IO.File.Delete(path);
        return this;
    }

    public TreeBuilder Move(string from, string to)
    {
        System.IO.File.Move(PathOf(from), PathOf(to));
        return this;
    }

    public TreeBuilder Chmod(string rel, UnixFileMode mode)
    {
        System.IO.File.SetUnixFileMode(PathOf(rel), mode);
        return this;
    }

    /// <summary>Pins directory mtimes (changed by the edits above) so snapshots compare deterministic values.</summary>
    public TreeBuilder TouchDirectories()
    {
        foreach (var dir in System.IO.Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories).Append(root))
            if (new DirectoryInfo(dir).LinkTarget == null)
                System.IO.Directory.SetLastWriteTimeUtc(dir, NextTime());
        return this;
    }

    private DateTime NextTime() => BaseTime.AddSeconds(++_tick).AddTicks(_tick * 1234);
}
