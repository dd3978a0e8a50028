using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers.Files.Native;

namespace PsBackup.Engine.Providers.Files;

/// <summary>What a scan records besides paths, types, modes, times and owners.</summary>
internal sealed record ScanOptions(bool Xattrs, bool Ctime);

/// <summary>
/// Walks a tree by name bytes without following symlinks, applying the include/exclude filter,
/// straight into index entries, yielded one at a time in the index's order: ascending by the
/// bytes of the whole relative path (so "a", "a.txt", "a/b"). Each directory is read and sorted
/// when the walk reaches it, so what is held is the listing of the directories on the current
/// path, never the tree. For a file, Size is its length when scanned. The second and later paths
/// of a hard-linked file become <see cref="FileEntryType.Hardlink"/> entries naming the first;
/// the first paths of groups not yet complete are the one other thing remembered.
/// </summary>
internal sealed class TreeScanner
{
    /// <summary>Linux's PATH_MAX, NUL included: longer paths cannot be opened by name.</summary>
    private const int PathMax = 4096;

    private readonly PathFilter _filter;
    private readonly ScanOptions _options;
    private readonly Action<string> _warn;
    private readonly CancellationToken _ct;
    private readonly Dictionary<(ulong Device, ulong Inode), (string Path, uint Remaining)> _firstPaths = [];
    private readonly Dictionary<uint, string> _modes = [];
    private readonly Stack<Frame> _frames = new();

    /// <summary>
    /// Entries ready in order. With include patterns a directory is kept only if it holds a kept
    /// file, which is known only once its contents are walked: until then it waits here
    /// undecided, and so does whatever sorts after it (siblings such as "a.txt" between "a" and
    /// "a/"). Without include patterns nothing ever waits.
    /// </summary>
    private readonly Queue<Pending> _ready = new();

    private TreeScanner(PathFilter filter, ScanOptions options, Action<string> warn, CancellationToken ct) =>
        (_filter, _options, _warn, _ct) = (filter, options, warn, ct);

    public static IEnumerable<FileEntry> Scan(string root, PathFilter filter, ScanOptions options, Action<string> warn, CancellationToken ct) =>
        new TreeScanner(filter, options, warn, ct).Walk(FsName.ToBytes(root));

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
        public Pending? Kept { get; set; }
    }

    /// <summary>An entry on its way out; a directory under include patterns is Undecided until it holds a kept file.</summary>
    private sealed class Pending(FileEntry entry, bool undecided)
    {
        public FileEntry Entry { get; } = entry;
        public bool Undecided { get; set; } = undecided;
        public bool Dropped { get; set; }
    }

    /// <summary>A directory being walked: its children in index order and how far the walk is.</summary>
    private sealed class Frame(byte[] directory, Pending? self, List<(Child Child, bool Contents)> order)
    {
        public byte[] Directory { get; } = directory;
        public Pending? Self { get; } = self;
        public List<(Child Child, bool Contents)> Order { get; } = order;
        public int Next { get; set; }
    }

    private IEnumerable<FileEntry> Walk(byte[] root)
    {
        using var prefetch = MetadataPrefetch.Start(root, _filter);
        if (Open(root, "", null) is { } top) _frames.Push(top);
        while (_frames.Count > 0)
        {
            _ct.ThrowIfCancellationRequested();
            var frame = _frames.Peek();
            if (frame.Next == frame.Order.Count)
            {
                _frames.Pop();
                if (frame.Self is { Undecided: true } self) self.Dropped = true; // kept only for what it would hold
            }
            else
            {
                var (child, contents) = frame.Order[frame.Next++];
                if (contents)
                {
                    var self = child.Kept;
                    child.Kept = null; // its frame holds it from here: the walk keeps nothing it has passed
                    if (self != null && Open(Join(frame.Directory, child.Entry.Name), child.Path + "/", self) is { } inner)
                        _frames.Push(inner);
                    else if (self is { Undecided: true })
                        self.Dropped = true; // vanished: holds nothing
                }
                else if (!_filter.IsExcluded(child.Path))
                {
                    Add(frame.Directory, child);
                }
            }
            while (_ready.TryPeek(out var next) && (next.Dropped || !next.Undecided))
            {
                _ready.Dequeue();
                if (!next.Dropped) yield return next.Entry;
            }
        }
    }

    /// <summary>Reads and orders a directory's children; null when it vanished.</summary>
    private Frame? Open(byte[] directory, string prefix, Pending? self)
    {
        var display = prefix.Length == 0 ? "." : prefix.TrimEnd('/');
        List<DirectoryChild> children;
        try
        {
            children = DirectoryReader.Read(CString(directory), display);
        }
        catch (NativeIOException e) when (e.Errno == LibC.ENOENT && prefix.Length > 0)
        {
            _warn($"Skipped '{FsName.Display(display)}': it was deleted while the backup ran.");
            return null;
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
        return new Frame(directory, self, order.ConvertAll(o => (o.Child, o.Contents)));
    }

    /// <summary>A kept file: every directory it is in is kept too.</summary>
    private void Keep()
    {
        foreach (var frame in _frames) // innermost first; once one is decided, so are those around it
        {
            if (frame.Self is not { Undecided: true } self) break;
            self.Undecided = false;
        }
    }

    /// <summary>Queues the child's entry, unless it is left out.</summary>
    private void Add(byte[] directory, Child child)
    {
        var entry = Entry(directory, child, out var status);
        if (entry == null) return;
        var undecided = status.IsDirectory && _filter.HasIncludes;
        var pending = new Pending(entry, undecided);
        if (status.IsDirectory) child.Kept = pending;
        if (!undecided) Keep();
        _ready.Enqueue(pending);
    }

    /// <summary>The child's entry; null when it is left out.</summary>
    private FileEntry? Entry(byte[] directory, Child child, out FileStatus status)
    {
        status = child.Entry.Status;
        if (!status.IsDirectory && !_filter.IsIncludedFile(child.Path)) return null;
        var full = CString(Join(directory, child.Entry.Name));
        if (full.Length > PathMax)
        {
            _warn($"Skipped '{FsName.Display(child.Path)}': its full path is longer than the system's limit of {PathMax} bytes.");
            return null;
        }
        if (!status.IsDirectory && !status.IsSymlink && !status.IsRegular)
        {
            _warn($"Skipped '{FsName.Display(child.Path)}': not a regular file (FIFO, socket or device).");
            return null;
        }
        (ulong, ulong)? inode = null;
        if (status.IsRegular && status.LinkCount > 1)
        {
            var key = (status.Device, status.Inode);
            if (_firstPaths.TryGetValue(key, out var first))
            {
                // Forgotten once every link was seen: what is remembered is the groups still open.
                if (first.Remaining <= 1) _firstPaths.Remove(key);
                else _firstPaths[key] = (first.Path, first.Remaining - 1);
                return new FileEntry { Path = child.Path, Type = FileEntryType.Hardlink, Link = first.Path };
            }
            _firstPaths[key] = (child.Path, status.LinkCount - 1);
            inode = key;
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
            Inode = inode,
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
                return null;
            }
        }
        if (_options.Xattrs) entry.Xattrs = ReadXattrs(full, child.Path, _warn);
        return entry;
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
