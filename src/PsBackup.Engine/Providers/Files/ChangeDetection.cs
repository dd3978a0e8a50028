using PsBackup.Engine.Providers.Files.Native;

namespace PsBackup.Engine.Providers.Files;

/// <summary>
/// Compares a fresh scan with the base backup's index, both in index order, as a merge: the base
/// is read one entry at a time alongside the walk, so nothing of it is held but the hard-link
/// groups (<see cref="HardLinkBytes"/>). A file whose size and mtime (and, with ctime detection,
/// ctime) equal the base's is unchanged: its entry points at the base's bytes, as tar
/// --listed-incremental and restic judge it. A file of a hard-link group also keeps the base's
/// bytes through its base path being a hard link to an unchanged file, or, as a group's new first
/// path, through the group's inode (recorded with the base's first path). Counted as modified
/// (besides content): type, mode, mtime, owner, xattrs, symlink target and hard-link target
/// changes; the new index records them all in any case.
/// </summary>
internal sealed class ChangeDetection(IEnumerable<FileEntry>? baseEntries, HardLinkBytes links, bool useCtime) : IDisposable
{
    private readonly IEnumerator<FileEntry>? _base = baseEntries?.GetEnumerator();
    private bool _started, _ended;

    public int Added { get; private set; }
    public int Modified { get; private set; }
    public int Deleted { get; private set; }

    /// <summary>Takes the next scanned entry (in index order); true when its bytes must be read.</summary>
    public bool Judge(FileEntry entry)
    {
        var previous = Advance(entry.Path);
        if (previous == null) Added++;
        else if (Differs(previous, entry)) Modified++;
        if (entry.Type != FileEntryType.File) return false;
        var same = Candidate(BytesOf(previous), entry) ?? Candidate(entry.Inode is { } inode ? links.ByInode(inode) : null, entry);
        if (same == null) return true;
        (entry.Sha256, entry.Backup, entry.Pack, entry.Offset, entry.Extents) = (same.Sha256, same.Backup, same.Pack, same.Offset, same.Extents);
        return false;
    }

    /// <summary>Passes the rest of the base (deleted paths), reading it to the end so its checksum is verified.</summary>
    public void Finish()
    {
        while (Current() is { } rest)
        {
            Deleted++;
            Pass(rest);
        }
    }

    /// <summary>Passes the base up to <paramref name="path"/>; its entry at that path, or null.</summary>
    private FileEntry? Advance(string path)
    {
        while (Current() is { } old)
        {
            var order = PathOrder.Compare(old.Path, path);
            if (order > 0) return null;
            Pass(old);
            if (order == 0) return old;
            Deleted++;
        }
        return null;
    }

    private FileEntry? Current()
    {
        if (_base == null || _ended) return null;
        if (!_started)
        {
            _started = true;
            _ended = !_base.MoveNext();
        }
        return _ended ? null : _base.Current;
    }

    private void Pass(FileEntry old)
    {
        links.Passed(old);
        _ended = !_base!.MoveNext();
    }

    /// <summary>The base's file entry holding the bytes of its entry at this path (through its hard link, if it was one).</summary>
    private FileEntry? BytesOf(FileEntry? old)
    {
        if (old?.Type == FileEntryType.Hardlink) old = links.ByPath(old.Link!);
        return old?.Type == FileEntryType.File && old.Sha256 != null ? old : null;
    }

    private FileEntry? Candidate(FileEntry? old, FileEntry now) =>
        old != null && old.Size == now.Size && old.Mtime == now.Mtime && (!useCtime || (old.Ctime != null && old.Ctime == now.Ctime)) ? old : null;

    private static bool Differs(FileEntry old, FileEntry now) =>
        old.Type != now.Type || old.Mtime != now.Mtime || old.Mode != now.Mode || old.Size != now.Size
        || old.Target != now.Target || old.Link != now.Link
        || (old.Uid != null && (old.Uid != now.Uid || old.Gid != now.Gid)) // format 1 bases recorded no owners
        || !SameXattrs(old.Xattrs, now.Xattrs);

    private static bool SameXattrs(IReadOnlyList<Xattr>? a, IReadOnlyList<Xattr>? b) =>
        (a?.Count ?? 0) == (b?.Count ?? 0)
        && (a == null || b == null || a.Zip(b).All(p => p.First.Name == p.Second.Name && p.First.Value.AsSpan().SequenceEqual(p.Second.Value)));

    public void Dispose() => _base?.Dispose();
}
