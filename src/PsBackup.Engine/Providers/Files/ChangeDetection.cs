using PsBackup.Engine.Providers.Files.Native;

namespace PsBackup.Engine.Providers.Files;

/// <summary>What an incremental found changed since its base, and which files it must read.</summary>
internal sealed record ChangeSet(List<FileEntry> ToRead, int Added, int Modified, int Deleted);

/// <summary>
/// Compares a fresh scan with the base backup's index. A file whose size and mtime (and, with
/// ctime detection, ctime) equal the base's is unchanged: its entry points at the base's bytes,
/// as tar --listed-incremental and restic judge it. A file that became a hard link to another
/// path, or gained one, keeps the base's bytes through any path of its link group that was
/// unchanged. Counted as modified (besides content): type, mode, mtime, owner, xattrs, symlink
/// target and hard-link target changes; the new index records them all in any case.
/// </summary>
internal static class ChangeDetection
{
    public static ChangeSet Apply(List<FileEntry> entries, Dictionary<string, FileEntry> baseEntries, bool useCtime)
    {
        // Hard-link groups: the first path, then the others.
        var groups = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var entry in entries)
            if (entry.Type == FileEntryType.Hardlink)
                (groups.TryGetValue(entry.Link!, out var members) ? members : groups[entry.Link!] = []).Add(entry.Path);

        var toRead = new List<FileEntry>();
        int added = 0, modified = 0;
        foreach (var entry in entries)
        {
            baseEntries.TryGetValue(entry.Path, out var previous);
            if (previous == null) added++;
            else if (Differs(previous, entry)) modified++;
            if (entry.Type != FileEntryType.File) continue;
            var paths = groups.TryGetValue(entry.Path, out var others) ? others.Prepend(entry.Path) : [entry.Path];
            var same = paths.Select(path => BytesOf(path, baseEntries)).FirstOrDefault(old => old != null && Unchanged(old, entry, useCtime));
            if (same != null)
                (entry.Sha256, entry.Backup, entry.Pack, entry.Offset, entry.Extents) = (same.Sha256, same.Backup, same.Pack, same.Offset, same.Extents);
            else
                toRead.Add(entry);
        }
        var present = entries.Select(e => e.Path).ToHashSet(StringComparer.Ordinal);
        var deleted = baseEntries.Keys.Count(path => !present.Contains(path));
        return new ChangeSet(toRead, added, modified, deleted);
    }

    /// <summary>The base's file entry holding the bytes of this path (through its hard link, if it was one).</summary>
    private static FileEntry? BytesOf(string path, Dictionary<string, FileEntry> baseEntries)
    {
        if (!baseEntries.TryGetValue(path, out var old)) return null;
        if (old.Type == FileEntryType.Hardlink && !baseEntries.TryGetValue(old.Link!, out old)) return null;
        return old.Type == FileEntryType.File && old.Sha256 != null ? old : null;
    }

    private static bool Unchanged(FileEntry old, FileEntry now, bool useCtime) =>
        old.Size == now.Size && old.Mtime == now.Mtime && (!useCtime || (old.Ctime != null && old.Ctime == now.Ctime));

    private static bool Differs(FileEntry old, FileEntry now) =>
        old.Type != now.Type || old.Mtime != now.Mtime || old.Mode != now.Mode || old.Size != now.Size
        || old.Target != now.Target || old.Link != now.Link
        || (old.Uid != null && (old.Uid != now.Uid || old.Gid != now.Gid)) // format 1 bases recorded no owners
        || !SameXattrs(old.Xattrs, now.Xattrs);

    private static bool SameXattrs(IReadOnlyList<Xattr>? a, IReadOnlyList<Xattr>? b) =>
        (a?.Count ?? 0) == (b?.Count ?? 0)
        && (a == null || b == null || a.Zip(b).All(p => p.First.Name == p.Second.Name && p.First.Value.AsSpan().SequenceEqual(p.Second.Value)));
}
