using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers.Files.Native;

namespace PsBackup.Engine.Providers.Files;

/// <summary>What a scan records besides paths, types, modes, times and owners.</summary>
internal sealed record ScanOptions(bool Xattrs, bool Ctime);

/// <summary>
/// Walks a tree by name bytes without following symlinks, applying the include/exclude filter,
/// straight into index entries in the index's order: ascending by the bytes of the whole
/// relative path (so "a", "a.txt", "a/b"). For a file, Size is its length when scanned. The
/// second and later paths of a hard-linked file become <see cref="FileEntryType.Hardlink"/>
/// entries naming the first. Nothing else is kept per file, so memory grows with the number of
/// files only by the index itself.
/// </summary>
internal sealed class TreeScanner
{
    /// <summary>Linux's PATH_MAX, NUL included: longer paths cannot be opened by name.</summary>
    private const int PathMax = 4096;

    private readonly PathFilter _filter;
    private readonly ScanOptions _options;
    private readonly Action<string> _warn;
    private readonly CancellationToken _ct;
    private readonly List<FileEntry> _result = [];
    private readonly Dictionary<(ulong Device, ulong Inode), string> _firstPaths = [];
    private readonly Dictionary<uint, string> _modes = [];

    private TreeScanner(PathFilter filter, ScanOptions options, Action<string> warn, CancellationToken ct) =>
        (_filter, _options, _warn, _ct) = (filter, options, warn, ct);

    public static List<FileEntry> Scan(string root, PathFilter filter, ScanOptions options, Action<string> warn, CancellationToken ct)
    {
        var scanner = new TreeScanner(filter, options, warn, ct);
        scanner.Walk(FsName.ToBytes(root), "");
        return scanner._result;
    }

    /// <summary>The root directory's own metadata (of the directory a symlinked root leads to), for the index header.</summary>
    public static FileIndexHeader Header(string root, ScanOptions options, Action<string> warn)
    {
        var cRoot = FsName.ToCString(Directory.ResolveLinkTarget(root, returnFinalTarget: true)?.FullName ?? root);
        if (!FileStatus.TryGet(cRoot, out var status, out var errno))
            throw new TargetUnavailableException($"Cannot read '{root}': {NativeError.Describe(errno)}.") { TargetObject = root };
        var xattrs = options.Xattrs ? ReadXattrs(cRoot, root, warn) : null;
        return new FileIndexHeader
        {
            Root = root,
            RootMode = ModeText(status.Permissions),
            RootMtime = status.Mtime.ToDateTime(),
            RootUid = status.Uid,
            RootGid = status.Gid,
            RootUser = Accounts.UserName(status.Uid),
            RootGroup = Accounts.GroupName(status.Gid),
            RootXattrs = xattrs?.ToDictionary(x => x.Name, x => Convert.ToBase64String(x.Value)),
        };
    }

    public static string ModeText(uint permissions) => Convert.ToString(permissions, 8).PadLeft(4, '0');

    /// <summary>One child of a directory being walked.</summary>
    private sealed class Child(DirectoryChild entry, string path)
    {
        public DirectoryChild Entry { get; } = entry;
        public string Path { get; } = path;
        public bool Excluded { get; set; }
        public int Index { get; set; } = -1;
    }

    /// <summary>Adds the directory's kept descendants; returns whether it kept any.</summary>
    private bool Walk(byte[] directory, string prefix)
    {
        _ct.ThrowIfCancellationRequested();
        var display = prefix.Length == 0 ? "." : prefix.TrimEnd('/');
        List<DirectoryChild> children;
        try
        {
            children = DirectoryReader.Read(CString(directory), display);
        }
        catch (NativeIOException e) when (e.Errno == LibC.ENOENT && prefix.Length > 0)
        {
            _warn($"Skipped '{FsName.Display(display)}': it was deleted while the backup ran.");
            return false;
        }
        catch (NativeIOException e)
        {
            throw new TargetUnavailableException($"Cannot read directory '{FsName.Display(display)}' ({NativeError.Describe(e.Errno)}). Grant read access or exclude it.", e)
            { TargetObject = FsName.Display(display) };
        }

        // A directory's own entry sorts at its name and its contents at its name + "/": between
        // them come siblings such as "a.txt" (after "a", before "a/"), as in a byte sort of whole paths.
        var order = new List<(byte[] Key, Child Child, bool Contents)>(children.Count + 8);
        foreach (var entry in children)
        {
            var child = new Child(entry, prefix + FsName.FromBytes(entry.Name));
            order.Add((entry.Name, child, false));
            if (entry.Status.IsDirectory) order.Add(([.. entry.Name, (byte)'/'], child, true));
        }
        order.Sort((a, b) => FsName.CompareBytes(a.Key, b.Key));

        var keptAny = false;
        foreach (var (_, child, contents) in order)
        {
            if (contents)
            {
                if (child.Excluded || child.Index < 0) continue;
                if (Walk(Join(directory, child.Entry.Name), child.Path + "/")) keptAny = true;
                else if (_filter.HasIncludes) _result.RemoveAt(child.Index); // kept only for what it holds (directories after it are done: their contents sort first)
                continue;
            }
            if (_filter.IsExcluded(child.Path))
            {
                child.Excluded = true;
                continue;
            }
            if (Add(directory, child))
                keptAny |= !child.Entry.Status.IsDirectory || !_filter.HasIncludes;
        }
        return keptAny;
    }

    /// <summary>Adds the child's entry; false when it is left out.</summary>
    private bool Add(byte[] directory, Child child)
    {
        var status = child.Entry.Status;
        if (!status.IsDirectory && !_filter.IsIncludedFile(child.Path)) return false;
        var full = CString(Join(directory, child.Entry.Name));
        if (full.Length > PathMax)
        {
            _warn($"Skipped '{FsName.Display(child.Path)}': its full path is longer than the system's limit of {PathMax} bytes.");
            return false;
        }
        if (!status.IsDirectory && !status.IsSymlink && !status.IsRegular)
        {
            _warn($"Skipped '{FsName.Display(child.Path)}': not a regular file (FIFO, socket or device).");
            return false;
        }
        if (status.IsRegular && status.LinkCount > 1)
        {
            if (_firstPaths.TryGetValue((status.Device, status.Inode), out var first))
            {
                _result.Add(new FileEntry { Path = child.Path, Type = FileEntryType.Hardlink, Link = first });
                return true;
            }
            _firstPaths[(status.Device, status.Inode)] = child.Path;
        }

        var entry = new FileEntry
        {
            Path = child.Path,
            Type = status.IsDirectory ? FileEntryType.Directory : status.IsSymlink ? FileEntryType.Symlink : FileEntryType.File,
            Mode = status.IsSymlink ? null : Mode(status.Permissions),
            Mtime = status.Mtime.ToDateTime(),
            Uid = status.Uid,
            Gid = status.Gid,
            User = Accounts.UserName(status.Uid),
            Group = Accounts.GroupName(status.Gid),
            Size = status.IsRegular ? status.Size : 0,
            Ctime = _options.Ctime ? status.Ctime.ToDateTime() : null,
        };
        if (status.IsSymlink)
        {
            try
            {
                entry.Target = FsName.FromBytes(DirectoryReader.ReadLink(full, child.Path));
            }
            catch (NativeIOException e) when (e.Errno == LibC.ENOENT)
            {
                _warn($"Skipped '{FsName.Display(child.Path)}': it was deleted while the backup ran.");
                return false;
            }
        }
        if (_options.Xattrs) entry.Xattrs = ReadXattrs(full, child.Path, _warn);
        if (status.IsDirectory) child.Index = _result.Count;
        _result.Add(entry);
        return true;
    }

    private static List<Xattr>? ReadXattrs(byte[] cPath, string path, Action<string> warn)
    {
        try
        {
            return Xattrs.Read(cPath, path, name => warn($"Skipped the extended attribute '{name}' of '{FsName.Display(path)}': its name is not UTF-8."));
        }
        catch (NativeIOException e)
        {
            warn($"Could not read the extended attributes of '{FsName.Display(path)}' ({NativeError.Describe(e.Errno)}); backed up without them.");
            return null;
        }
    }

    /// <summary>Interned: a tree has few distinct modes, and an index can have millions of entries.</summary>
    private string Mode(uint permissions)
    {
        if (!_modes.TryGetValue(permissions, out var text))
            _modes[permissions] = text = ModeText(permissions);
        return text;
    }

    private static byte[] Join(byte[] directory, byte[] name) => [.. directory, (byte)'/', .. name];

    private static byte[] CString(byte[] path) => [.. path, 0];
}
