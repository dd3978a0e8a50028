namespace PsBackup.Engine.Providers.Files;

/// <summary>
/// Walks a tree without following symlinks, applying the include/exclude filter, in a stable
/// order, straight into index entries (for a file, Size is its length when scanned). Nothing
/// else is kept per file, so memory grows with the number of files only by the index itself.
/// </summary>
internal static class TreeScanner
{
    private static readonly EnumerationOptions Children = new()
    {
        RecurseSubdirectories = false,
        AttributesToSkip = 0,
        IgnoreInaccessible = false,
        ReturnSpecialDirectories = false,
    };

    public static List<FileEntry> Scan(string root, PathFilter filter, Action<string> warn, CancellationToken ct)
    {
        var result = new List<FileEntry>();
        Walk(new DirectoryInfo(root), "", filter, result, warn, ct);
        return result;
    }

    /// <summary>Adds the directory's kept descendants; returns whether it kept any.</summary>
    private static bool Walk(DirectoryInfo directory, string prefix, PathFilter filter, List<FileEntry> result, Action<string> warn, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var keptAny = false;
        foreach (var child in directory.EnumerateFileSystemInfos("*", Children).OrderBy(c => c.Name, StringComparer.Ordinal))
        {
            var path = prefix + child.Name;
            if (filter.IsExcluded(path))
                continue;
            if (child.LinkTarget is { } linkTarget)
            {
                if (!filter.IsIncludedFile(path)) continue;
                result.Add(new FileEntry { Path = path, Type = FileEntryType.Symlink, Mtime = child.LastWriteTimeUtc, Target = linkTarget });
            }
            else if (child is DirectoryInfo sub)
            {
                var at = result.Count;
                result.Add(new FileEntry { Path = path, Type = FileEntryType.Directory, Mode = FileMetadata.ModeOf(sub), Mtime = sub.LastWriteTimeUtc });
                // With include patterns, a directory is kept only for what it holds.
                if (!Walk(sub, path + "/", filter, result, warn, ct) && filter.HasIncludes)
                {
                    result.RemoveAt(at);
                    continue;
                }
            }
            else
            {
                if (!filter.IsIncludedFile(path)) continue;
                if (!UnixFileType.IsRegularFile(child.FullName))
                {
                    warn($"Skipped '{path}': not a regular file (FIFO, socket or device).");
                    continue;
                }
                var file = (FileInfo)child;
                result.Add(new FileEntry { Path = path, Type = FileEntryType.File, Mode = FileMetadata.ModeOf(file), Mtime = file.LastWriteTimeUtc, Size = file.Length });
            }
            keptAny = true;
        }
        return keptAny;
    }
}
