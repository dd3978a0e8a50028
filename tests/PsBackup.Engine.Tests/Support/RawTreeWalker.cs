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
    /// The differences between two walks (empty when equal). Allocated sizes may differ by one
    /// block per hole of the original (file systems round holes to blocks differently), and by
    /// one block for a file without holes. With <paramref name="owners"/> false, uid/gid are not compared.
    /// </summary>
    public static List<string> Compare(SortedDictionary<string, RawItem> expected, SortedDictionary<string, RawItem> actual, bool owners = true, bool xattrs = true)
    {
        var differences = new List<string>();
        foreach (var (path, e) in expected)
        {
            if (!actual.TryGetValue(path, out var a))
            {
                differences.Add($"missing {path}");
                continue;
            }
            var tolerance = (long)Math.Max(e.BlockSize, 4096) * Math.Max(1, e.Holes);
            var same = e with { Allocated = 0, BlockSize = 0, Uid = owners ? e.Uid : 0, Gid = owners ? e.Gid : 0, Xattrs = xattrs ? e.Xattrs : "" };
            var other = a with { Allocated = 0, BlockSize = 0, Uid = owners ? a.Uid : 0, Gid = owners ? a.Gid : 0, Xattrs = xattrs ? a.Xattrs : "" };
            if (same != other) differences.Add($"differs {path}:\n  expected {e}\n  actual   {a}");
            else if (Math.Abs(e.Allocated - a.Allocated) > tolerance)
                differences.Add($"allocation differs {path}: expected {e.Allocated} bytes ({e.Holes} holes), actual {a.Allocated}");
        }
        differences.AddRange(actual.Keys.Where(k => !expected.ContainsKey(k)).Select(k => $"unexpected {k}"));
        return differences;
    }
}
