using System.Diagnostics;
using PsBackup.Engine.Tests.Support;
using static PsBackup.Engine.Tests.Support.RawFs;

namespace PsBackup.Engine.Tests.Files;

/// <summary>
/// A tree with everything tar restores and a naive backup loses: names that are not UTF-8 (Latin-1
/// bytes, invalid sequences) in files, directories and symlink targets; names with newline, tab
/// and backslash; a path over 2,000 bytes; several owners (some without a name here); hard-link
/// groups; sparse files (holes at the start, middle and end, all holes); user and trusted xattrs;
/// POSIX ACLs (access and default); setuid, setgid and sticky bits; a time before 1970.
/// </summary>
public static class FidelityTree
{
    public const uint GhostUid = 54321, GhostGid = 54322; // no such user or group in /etc/passwd, /etc/group
    public static readonly byte[] Latin1Name = [.. B("caf"), 0xE9, .. B(".txt")];
    public static readonly byte[] InvalidDirectory = [0xFF, 0xFE, .. B("-invalid")];

    /// <summary>Data extents of the sparse files: (path, size, extents), data never zero.</summary>
    public static readonly (string Path, long Size, (long Offset, int Length)[] Data)[] SparseFiles =
    [
        ("sparse/hole-at-start", (1 << 20) + 8192, [((1 << 20), 8192)]),
        ("sparse/hole-in-middle", (2 << 20) + 8192, [(0, 4096), ((2 << 20) + 4096, 4096)]),
        ("sparse/hole-at-end", 3 << 20, [(0, 12288)]),
        ("sparse/all-holes", 16 << 20, []),
        ("sparse/big", 64L << 20, [(4096, 4096), (32 << 20, 65536), ((64 << 20) - 4096, 4096)]),
    ];

    public static void Build(string rootPath)
    {
        var root = B(rootPath);
        MkDir(root);
        byte[] P(string relative) => Join(root, B(relative));

        // Names as bytes.
        WriteFile(Join(root, Latin1Name), B("a Latin-1 name"));
        var invalid = Join(root, InvalidDirectory);
        MkDir(invalid);
        WriteFile(Join(invalid, [.. B("inner"), 0xE9, 0xFF]), B("inside a directory whose name is not UTF-8"));
        MkDir(Join(invalid, [.. B("truncated"), 0xC3]));
        WriteFile(Join(Join(invalid, [.. B("truncated"), 0xC3]), B("x")), B("x"));
        Symlink(Latin1Name, P("link-to-latin1"));
        Symlink([.. B("../nowhere/"), 0xFE], P("dangling-invalid-target"));
        WriteFile(P("new\nline"), B("newline"));
        WriteFile(P("tab\there"), B("tab"));
        WriteFile(P("back\\slash\\name"), B("backslash"));
        WriteFile(P("spaces, $hell 'chars' & *"), B("shell"));

        // A deep path: 11 directories of 190 bytes, over 2,000 bytes in all.
        var deep = P("deep");
        MkDir(deep);
        for (var i = 0; i < 11; i++)
        {
            deep = Join(deep, B(new string((char)('a' + i), 190)));
            MkDir(deep);
        }
        WriteFile(Join(deep, B("leaf.txt")), B("deep leaf"));

        // Owners: named, unnamed, nobody.
        MkDir(P("owners"));
        foreach (var (name, uid, gid) in new[] { ("u1001", 1001u, 1001u), ("ghost", GhostUid, GhostGid), ("nobody", 65534u, 65534u), ("root-nogroup", 0u, 65534u) })
        {
            WriteFile(P($"owners/{name}"), B($"owned by {uid}:{gid}"), Octal("640"));
            Chown(P($"owners/{name}"), uid, gid);
        }
        MkDir(P("owners/ghost-dir"));
        Chown(P("owners/ghost-dir"), GhostUid, GhostGid);
        Symlink(B("ghost"), P("owners/ghost-link"));
        Chown(P("owners/ghost-link"), GhostUid, GhostGid);

        // Hard links: a group of three across directories, a group of two.
        MkDir(P("links"));
        MkDir(P("other"));
        WriteFile(P("links/a"), Random(100_000, 1));
        Link(P("links/a"), P("links/b"));
        Link(P("links/a"), P("other/a-too"));
        WriteFile(P("links/c"), Random(5_000, 2));
        Link(P("links/c"), P("links/d"));

        // Sparse files.
        MkDir(P("sparse"));
        var seed = 10;
        foreach (var (path, size, data) in SparseFiles)
            WriteSparse(P(path), size, data.Select(d => (d.Offset, Random(d.Length, seed++))).ToArray());

        // xattrs and ACLs.
        MkDir(P("xattrs"));
        WriteFile(P("xattrs/file"), B("has xattrs"));
        SetXattr(P("xattrs/file"), "user.comment", B("hello"));
        SetXattr(P("xattrs/file"), "user.binary", Enumerable.Range(0, 256).Select(i => (byte)i).ToArray());
        SetXattr(P("xattrs/file"), "user.empty", []);
        SetXattr(P("xattrs/file"), "trusted.psbackup-test", B("root only"));
        SetXattr(P("xattrs"), "user.on-a-directory", B("dir"));
        WriteFile(P("xattrs/acl-file"), B("has an ACL"));
        SetFacl("-m", "u:1234:rw-,g:2345:r--", P("xattrs/acl-file"));
        MkDir(P("xattrs/acl-default-dir"));
        SetFacl("-d", "-m", "u:1234:rwx", P("xattrs/acl-default-dir"));

        // Special mode bits (set after chown, which clears them).
        MkDir(P("modes"));
        foreach (var (name, mode) in new[] { ("setuid", "4755"), ("setgid", "2755"), ("both", "6750"), ("none", "0000") })
            WriteFile(P($"modes/{name}"), B(name), Octal(mode));
        MkDir(P("modes/sticky"));
        Chmod(P("modes/sticky"), Octal("1777"));
        MkDir(P("modes/setgid-dir"));
        Chmod(P("modes/setgid-dir"), Octal("2775"));

        // Times: before 1970, with nanoseconds, and a symlink's own.
        WriteFile(P("old"), B("from 1960"));
        SetMtime(P("old"), -315_619_200, 123_456_789);
        SetMtime(P("link-to-latin1"), 1_000_000_000, 5);
    }

    /// <summary>Whether the file system of <paramref name="path"/> takes POSIX ACLs and user xattrs (it does on ext4, xfs, btrfs, tmpfs).</summary>
    public static bool SupportsAcls(string path)
    {
        var probe = Path.Combine(path, ".acl-probe");
        File.WriteAllText(probe, "");
        try { return Run("setfacl", "-m", "u:1234:r--", probe) == 0; }
        finally { File.Delete(probe); }
    }

    public static uint Octal(string mode) => Convert.ToUInt32(mode, 8);

    public static byte[] Random(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        for (var i = 0; i < size; i++) bytes[i] |= 1; // never a zero byte: data extents never look like holes
        return bytes;
    }

    private static void SetFacl(params object[] args)
    {
        var strings = args.Select(a => a is byte[] bytes ? System.Text.Encoding.UTF8.GetString(bytes) : (string)a).ToArray();
        if (Run("setfacl", strings) != 0) // no xunit here: bench/TreeDigest builds this tree too
            throw new InvalidOperationException($"setfacl {string.Join(' ', strings)} failed: is the 'acl' package installed (tests/peers/install.sh)?");
    }

    private static int Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        process.WaitForExit();
        return process.ExitCode;
    }
}
