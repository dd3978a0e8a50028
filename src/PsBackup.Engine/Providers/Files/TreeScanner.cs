namespace PsBackup.Engine.Providers.Files;

/// <summary>An entry found on disk, before its bytes are read.</summary>
internal sealed record ScannedEntry(string Path, FileEntryType Type, FileSystemInfo Info);

/// <summary>Walks a tree without following symlinks, applying the include/exclude filter, in a stable order.</summary>
internal static class TreeScanner
{
    public static List<ScannedEntry> Scan(string root, PathFilter filter, Action<string> warn, CancellationToken ct)
    {
        var result = new List<ScannedEntry>();
        Walk(new DirectoryInfo(root), "", filter, result, warn, ct);
        return result;
    }

    /// <summary>Adds the directory's kept descendants; returns whether it kept any.</summary>
    private static bool Walk(DirectoryInfo directory, string prefix, PathFilter filter, List<ScannedEntry> result, Action<string> warn, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var children = directory.EnumerateFileSystemInfos("*", new EnumerationOptions
        {
            RecurseSubdirectories = false,
            AttributesToSkip = 0,
            IgnoreInaccessible = false,
            ReturnSpecialDirectories = false,
        }).OrderBy(c => c.Name, StringComparer.Ordinal);
        var keptAny = false;
        foreach (var child in children)
        {
            var path = prefix + child.Name;
            if (filter.IsExcluded(path))
                continue;
            if (child.LinkTarget != null)
            {
                if (!filter.IsIncludedFile(path)) continue;
                result.Add(new ScannedEntry(path, FileEntryType.Symlink, child));
            }
            else if (child is DirectoryInfo sub)
            {
                var at = result.Count;
                result.Add(new ScannedEntry(path, FileEntryType.Directory, sub));
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
                result.Add(new ScannedEntry(path, FileEntryType.File, child));
            }
            keptAny = true;
        }
        return keptAny;
    }
}
