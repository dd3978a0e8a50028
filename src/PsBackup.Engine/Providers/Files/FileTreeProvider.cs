using System.Security.Cryptography;
using Newtonsoft.Json.Linq;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Providers.Files;

/// <summary>
/// File trees. A backup writes two artifacts: "pack" (the bytes of the files it read, end to end)
/// and "index" (every path of the tree with its metadata, and for each file the backup and pack
/// offset holding its bytes). An incremental reads only files whose size, mtime or type changed
/// since its base and points at the base's bytes for the rest, so its index alone describes the
/// whole tree of its moment.
/// </summary>
public sealed class FileTreeProvider : IBackupProvider
{
    internal const string PackArtifact = "pack";
    internal const string IndexArtifact = "index";
    private const int BufferSize = 1 << 17;

    public TargetKind Kind => TargetKind.FileTree;

    public Task TestConnectionAsync(BackupTarget target, CancellationToken ct)
    {
        var root = ((FileTreeTarget)target).Path;
        if (!Directory.Exists(root))
            throw new TargetUnavailableException($"Target '{target.Name}': directory '{root}' does not exist.") { TargetObject = root };
        using var _ = Directory.EnumerateFileSystemEntries(root).GetEnumerator(); // throws when unreadable
        return Task.CompletedTask;
    }

    public async Task<JObject> BackupAsync(TargetBackupContext context, CancellationToken ct)
    {
        var target = (FileTreeTarget)context.Target;
        await TestConnectionAsync(target, ct).ConfigureAwait(false);

        var baseEntries = new Dictionary<string, FileEntry>(StringComparer.Ordinal);
        if (context.Base != null)
        {
            await using var stream = await context.OpenBaseArtifactAsync(IndexArtifact, ct).ConfigureAwait(false);
            foreach (var entry in FileIndex.Read(stream, $"Index of backup '{context.Base.Backup.Id}'").Entries)
                baseEntries[entry.Path] = entry;
        }

        var scanned = TreeScanner.Scan(target.Path, new PathFilter(target.Include, target.Exclude), context.Warn, ct);
        var entries = new List<FileEntry>(scanned.Count);
        var toRead = new List<(ScannedEntry Scanned, FileEntry Entry)>();
        int added = 0, modified = 0;
        foreach (var item in scanned)
        {
            var entry = new FileEntry
            {
                Path = item.Path,
                Type = item.Type,
                Mode = item.Type == FileEntryType.Symlink ? null : FileMetadata.ModeOf(item.Info),
                Mtime = item.Info.LastWriteTimeUtc,
                Target = item.Info.LinkTarget,
            };
            entries.Add(entry);
            baseEntries.TryGetValue(item.Path, out var previous);
            var length = (item.Info as FileInfo)?.Length ?? 0;
            if (previous == null) added++;
            else if (previous.Type != entry.Type || previous.Mtime != entry.Mtime || previous.Mode != entry.Mode
                     || previous.Target != entry.Target || previous.Size != length) modified++;
            if (item.Type != FileEntryType.File) continue;
            // Same size and mtime as in the base: unchanged (as tar --listed-incremental and restic judge it).
            if (previous is { Type: FileEntryType.File } && previous.Size == length && previous.Mtime == entry.Mtime)
            {
                (entry.Size, entry.Sha256, entry.Backup, entry.Offset) = (previous.Size, previous.Sha256, previous.Backup, previous.Offset);
                continue;
            }
            toRead.Add((item, entry));
        }
        var present = scanned.Select(s => s.Path).ToHashSet(StringComparer.Ordinal);
        var deleted = baseEntries.Keys.Count(path => !present.Contains(path));

        var packBytes = 0L;
        var vanished = new HashSet<FileEntry>();
        var progress = new ProgressReporter(context.Progress, $"Backing up '{target.Name}'", toRead.Sum(r => ((FileInfo)r.Scanned.Info).Length));
        await context.WriteArtifactAsync(PackArtifact, pack =>
        {
            packBytes = WritePack(pack, toRead, context, vanished, progress, ct);
            return Task.CompletedTask;
        }, ct).ConfigureAwait(false);
        entries.RemoveAll(vanished.Contains);

        var rootInfo = new DirectoryInfo(target.Path);
        var header = new FileIndexHeader { Root = rootInfo.FullName, RootMode = FileMetadata.ModeOf(rootInfo), RootMtime = rootInfo.LastWriteTimeUtc };
        await context.WriteArtifactAsync(IndexArtifact, index =>
        {
            FileIndex.Write(index, header, entries);
            return Task.CompletedTask;
        }, ct).ConfigureAwait(false);

        return new JObject
        {
            ["entries"] = entries.Count,
            ["files"] = entries.Count(e => e.Type == FileEntryType.File),
            ["bytes"] = entries.Sum(e => e.Size),
            ["bytesRead"] = packBytes,
            ["added"] = added,
            ["modified"] = modified,
            ["deleted"] = deleted,
        };
    }

    /// <summary>Appends each file's bytes to the pack, recording offset, size and SHA-256 as read.</summary>
    private static long WritePack(Stream pack, List<(ScannedEntry Scanned, FileEntry Entry)> toRead, TargetBackupContext context,
        HashSet<FileEntry> vanished, ProgressReporter progress, CancellationToken ct)
    {
        var buffer = new byte[BufferSize];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long offset = 0;
        var done = 0;
        foreach (var (scanned, entry) in toRead)
        {
            ct.ThrowIfCancellationRequested();
            FileStream file;
            try
            {
                file = new FileStream(scanned.Info.FullName, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                context.Warn($"Skipped '{entry.Path}': it was deleted while the backup ran.");
                vanished.Add(entry);
                continue;
            }
            catch (UnauthorizedAccessException e)
            {
                throw new TargetUnavailableException($"Target '{context.Target.Name}': cannot read '{scanned.Info.FullName}' ({e.Message}). Grant read access or exclude it.", e)
                { TargetObject = scanned.Info.FullName };
            }
            long size = 0;
            using (file)
            {
                int n;
                while ((n = file.Read(buffer, 0, buffer.Length)) > 0)
                {
                    ct.ThrowIfCancellationRequested();
                    hash.AppendData(buffer, 0, n);
                    pack.Write(buffer, 0, n);
                    size += n;
                    progress.Add(n, $"{done} of {toRead.Count} files", entry.Path);
                }
            }
            if (File.GetLastWriteTimeUtc(scanned.Info.FullName) != entry.Mtime || size != ((FileInfo)scanned.Info).Length)
                context.Warn($"'{entry.Path}' changed while it was read; the next backup reads it again.");
            (entry.Size, entry.Sha256, entry.Backup, entry.Offset) = (size, Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant(), context.BackupId, offset);
            offset += size;
            done++;
        }
        return offset;
    }

    public Task<RestoreResult> RestoreAsync(TargetRestoreContext context, CancellationToken ct) =>
        new TreeRestorer(context).RunAsync(ct);
}
