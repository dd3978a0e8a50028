using System.Security.Cryptography;

namespace PsBackup.Engine.Tests.Support;

/// <summary>
/// Everything a faithful restore must reproduce about one path, read by name bytes (<see cref="RawFs"/>,
/// never the .NET file APIs, which replace bytes that are not UTF-8): type, permission bits
/// (setuid/setgid/sticky included), owner, mtime (in 100 ns, what the index keeps), size and
/// SHA-256 of the content (holes read as zeros), symlink target bytes, xattrs (ACLs included),
/// allocated bytes and number of holes, and hard-link identity: the first path (by bytes) of
/// the tree sharing the inode, and how many paths of the tree share it.
/// </summary>
public sealed record RawItem(
    string Path, string Type, uint Mode, uint Uid, uint Gid, long Mtime100ns, long Size, string? Sha256,
    string? LinkTarget, string Xattrs, long Allocated, int Holes, uint BlockSize, string? LinkGroup, int LinkCount)
{
    public override string ToString() =>
        $"{Type} mode={Convert.ToString(Mode, 8)} uid={Uid} gid={Gid} mtime={Mtime100ns} size={Size} sha={Sha256?[..12]} target={LinkTarget} " +
        $"xattrs={Xattrs} allocated={Allocated} holes={Holes} link={LinkGroup}/{LinkCount}";
}

public static class RawTreeWalker
{
    /// <summary>The tree below <paramref name="root"/>, keyed by escaped relative path ("." is the root itself), in byte order.</summary>
    public static SortedDictionary<string, RawItem> Walk(byte[] root)
    {
        var items = new SortedDictionary<string, RawItem>(StringComparer.Ordinal);
        var inodes = new Dictionary<(ulong, ulong), List<string>>();
        Visit(root, [], items, inodes);
        foreach (var paths in inodes.Values.Where(p => p.Count > 1))
        {
            var first = paths.Min(StringComparer.Ordinal)!;
            foreach (var path in paths) items[path] = items[path] with { LinkGroup = first, LinkCount = paths.Count };
        }
        return items;
    }

    public static SortedDictionary<string, RawItem> Walk(string root) => Walk(RawFs.B(root));

    private static void Visit(byte[] full, byte[] relative, SortedDictionary<string, RawItem> items, Dictionary<(ulong, ulong), List<string>> inodes)
    {
        var key = relative.Length == 0 ? "." : RawFs.Escape(relative);
        var stat = RawFs.LStat(full);
        string type = stat.IsDir ? "dir" : stat.IsLink ? "link" : stat.IsFile ? "file" : "other";
        string? sha = null, target = null;
        var holes = 0;
        if (stat.IsFile)
        {
            (sha, holes) = Content(full, stat.Size);
            if (stat.Nlink > 1)
                (inodes.TryGetValue((stat.Dev, stat.Ino), out var paths) ? paths : inodes[(stat.Dev, stat.Ino)] = []).Add(key);
        }
        if (stat.IsLink) target = RawFs.Escape(RawFs.ReadLink(full));
        var xattrs = string.Join(",", RawFs.Xattrs(full).Select(x => $"{x.Key}={Convert.ToHexString(x.Value)}"));
        items[key] = new RawItem(key, type, stat.IsLink ? 0 : stat.Mode & 0xFFF, stat.Uid, stat.Gid,
            stat.MtimeSec * 10_000_000 + stat.MtimeNsec / 100, stat.IsFile ? stat.Size : 0, sha, target, xattrs,
            stat.IsFile ? stat.Blocks * 512 : 0, holes, stat.BlockSize, null, 1);
        if (!stat.IsDir) return;
        foreach (var name in RawFs.List(full))
            Visit(RawFs.Join(full, name), relative.Length == 0 ? name : RawFs.Join(relative, name), items, inodes);
    }

    /// <summary>SHA-256 of the whole content (holes as zeros) and the number of holes (SEEK_HOLE).</summary>
    private static (string Sha256, int Holes) Content(byte[] path, long size)
    {
        using var file = RawFs.Open(path, 0x800); // O_RDONLY | O_NONBLOCK
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        long position = 0;
        int n;
        while ((n = RandomAccess.Read(file, buffer, position)) > 0)
        {
            hash.AppendData(buffer, 0, n);
            position += n;
        }
        var holes = 0;
        for (long at = 0; at < size;)
        {
            var hole = RawFs.Seek(file, at, RawFs.SeekHole);
            if (hole < 0 || hole >= size) break;
            holes++;
            var data = RawFs.Seek(file, hole, RawFs.SeekData);
            if (data < 0) break; // a hole up to the end
            at = data;
        }
        return (Convert.ToHexString(hash.GetHashAndReset()), holes);
    }

    /// <summary>
    /// The differences between two walks (empty when equal), one per path and aspect: "missing",
    /// "unexpected", "type", "mode", "owner", "mtime", "content" (size or bytes), "symlink target",
    /// "xattrs", "hard links" and "holes" (number of holes, or allocated bytes beyond one block per
    /// hole of the original — file systems round holes to blocks — or one block without holes).
    /// With <paramref name="owners"/> false, uid/gid are not compared; xattrs whose name starts
    /// with one of <paramref name="ignoreXattrs"/> are left out.
    /// </summary>
    public static List<RawDifference> Compare(SortedDictionary<string, RawItem> expected, SortedDictionary<string, RawItem> actual,
        bool owners = true, params string[] ignoreXattrs)
    {
        var differences = new List<RawDifference>();
        foreach (var (path, e) in expected)
        {
            if (!actual.TryGetValue(path, out var a))
            {
                differences.Add(new(path, "missing", e.ToString(), ""));
                continue;
            }
            void Check(string aspect, object? x, object? y)
            {
                if (!Equals(x, y)) differences.Add(new(path, aspect, $"{x}", $"{y}"));
            }
            Check("type", e.Type, a.Type);
            Check("mode", Convert.ToString(e.Mode, 8), Convert.ToString(a.Mode, 8));
            if (owners) Check("owner", $"{e.Uid}:{e.Gid}", $"{a.Uid}:{a.Gid}");
            Check("mtime", e.Mtime100ns, a.Mtime100ns);
            Check("content", $"{e.Size} {e.Sha256}", $"{a.Size} {a.Sha256}");
            Check("symlink target", e.LinkTarget, a.LinkTarget);
            Check("xattrs", Filter(e.Xattrs, ignoreXattrs), Filter(a.Xattrs, ignoreXattrs));
            Check("hard links", $"{e.LinkGroup}/{e.LinkCount}", $"{a.LinkGroup}/{a.LinkCount}");
            var tolerance = (long)Math.Max(e.BlockSize, 4096) * Math.Max(1, e.Holes);
            if (e.Holes != a.Holes || Math.Abs(e.Allocated - a.Allocated) > tolerance)
                differences.Add(new(path, "holes", $"{e.Holes} holes, {e.Allocated} bytes allocated", $"{a.Holes} holes, {a.Allocated} bytes allocated"));
        }
        differences.AddRange(actual.Where(p => !expected.ContainsKey(p.Key)).Select(p => new RawDifference(p.Key, "unexpected", "", p.Value.ToString())));
        return differences;
    }

    private static string Filter(string xattrs, string[] ignore) =>
        ignore.Length == 0 ? xattrs : string.Join(",", xattrs.Split(',').Where(x => !ignore.Any(prefix => x.StartsWith(prefix, StringComparison.Ordinal))));
}

/// <summary>One way a path of a restored tree differs from the original.</summary>
public sealed record RawDifference(string Path, string Aspect, string Expected, string Actual)
{
    public override string ToString() => $"{Aspect} differs at {Path}: expected {Expected}, actual {Actual}";
}
