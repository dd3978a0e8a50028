using System.Net;
using System.Security.Cryptography;
using Newtonsoft.Json.Linq;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers.Capabilities;

namespace PsBackup.Engine.Providers.Files;

/// <summary>
/// File trees. A backup writes "pack-N" artifacts (the bytes of the files it read, end to end,
/// spread over one pack per core) and an "index" (every path of the tree with its metadata, and
/// for each file the backup, pack and offset holding its bytes). An incremental reads only files whose size, mtime or type changed
/// since its base and points at the base's bytes for the rest, so its index alone describes the
/// whole tree of its moment.
/// </summary>
public sealed class FileTreeProvider : EngineKind<FileTreeTarget>, IIncrementalBackup, IHealthProbe
{
    internal const string PackPrefix = "pack-";
    internal const string IndexArtifact = "index";
    private const int BufferSize = 1 << 17;
    private const int MaxPacks = 4;
    private const long SmallTarget = 16 << 20; // below this, one pack: parallelism would not pay

    /// <summary>-Destination is the directory the tree is restored into.</summary>
    public override bool IsPathDestination(string destination) => true;

    protected override void ValidateTarget(FileTreeTarget target)
    {
        if (!Path.IsPathFullyQualified(target.Path))
            throw new InvalidBackupRequestException("RelativeTargetPath", $"Target '{target.Name}': path '{target.Path}' must be absolute.");
    }

    public Task ProbeAsync(BackupTarget target, NetworkCredential? credential, CancellationToken ct)
    {
        var root = ((FileTreeTarget)target).Path;
        if (!Directory.Exists(root))
            throw new TargetUnavailableException($"Target '{target.Name}': directory '{root}' does not exist.") { TargetObject = root };
        using var _ = Directory.EnumerateFileSystemEntries(root).GetEnumerator(); // throws when unreadable
        return Task.CompletedTask;
    }

    public override async Task<JObject> BackupAsync(TargetBackupContext context, CancellationToken ct)
    {
        var target = (FileTreeTarget)context.Target;
        await ProbeAsync(target, null, ct).ConfigureAwait(false);

        var baseEntries = new Dictionary<string, FileEntry>(StringComparer.Ordinal);
        if (context.Base != null)
        {
            await using var stream = await context.OpenBaseArtifactAsync(IndexArtifact, ct).ConfigureAwait(false);
            foreach (var entry in FileIndex.Read(stream, $"Index of backup '{context.Base.Backup.Id}'").Entries)
                baseEntries[entry.Path] = entry;
        }

        var entries = TreeScanner.Scan(target.Path, new PathFilter(target.Include, target.Exclude), context.Warn, ct);
        var toRead = new List<FileEntry>();
        int added = 0, modified = 0;
        foreach (var entry in entries)
        {
            baseEntries.TryGetValue(entry.Path, out var previous);
            if (previous == null) added++;
            else if (previous.Type != entry.Type || previous.Mtime != entry.Mtime || previous.Mode != entry.Mode
                     || previous.Target != entry.Target || previous.Size != entry.Size) modified++;
            if (entry.Type != FileEntryType.File) continue;
            // Same size and mtime as in the base: unchanged (as tar --listed-incremental and restic judge it).
            if (previous is { Type: FileEntryType.File } && previous.Size == entry.Size && previous.Mtime == entry.Mtime)
                (entry.Sha256, entry.Backup, entry.Pack, entry.Offset) = (previous.Sha256, previous.Backup, previous.Pack, previous.Offset);
            else
                toRead.Add(entry);
        }
        var present = entries.Select(e => e.Path).ToHashSet(StringComparer.Ordinal);
        var deleted = baseEntries.Keys.Count(path => !present.Contains(path));
        baseEntries.Clear();
        present.Clear();

        var progress = new ProgressReporter(context.Progress, $"Backing up '{target.Name}'", toRead.Sum(e => e.Size), toRead.Count);
        var vanished = await WritePacksAsync(target.Path, toRead, context, progress, ct).ConfigureAwait(false);
        progress.Complete();
        if (vanished.Count > 0)
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
            ["bytesRead"] = progress.BytesDone,
            ["added"] = added,
            ["modified"] = modified,
            ["deleted"] = deleted,
        };
    }

    /// <summary>
    /// Reads the files into up to <see cref="MaxPacks"/> pack artifacts written in parallel (brotli
    /// streams cannot be concatenated, so parallel compression means several packs). Workers take
    /// files in scan order from a shared queue. Returns the entries of files that vanished.
    /// </summary>
    private static async Task<HashSet<FileEntry>> WritePacksAsync(string root, List<FileEntry> toRead,
        TargetBackupContext context, ProgressReporter progress, CancellationToken ct)
    {
        var queue = new System.Collections.Concurrent.ConcurrentQueue<FileEntry>(toRead);
        var vanished = new HashSet<FileEntry>();
        var totalBytes = toRead.Sum(e => e.Size);
        var packs = totalBytes < SmallTarget ? 1 : Math.Clamp(Environment.ProcessorCount, 1, MaxPacks);
        await Workers.RunAsync(Enumerable.Range(0, packs), packs, async (i, token) =>
        {
            var name = $"{PackPrefix}{i}";
            await context.WriteArtifactAsync(name, pack =>
            {
                WritePack(root, name, pack, queue, context, vanished, progress, token);
                return Task.CompletedTask;
            }, token).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);
        return vanished;
    }

    /// <summary>Appends files from the queue to one pack, recording pack, offset, size and SHA-256 as read.</summary>
    private static void WritePack(string root, string packName, Stream pack, System.Collections.Concurrent.ConcurrentQueue<FileEntry> queue,
        TargetBackupContext context, HashSet<FileEntry> vanished, ProgressReporter progress, CancellationToken ct)
    {
        var buffer = new byte[BufferSize];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long offset = 0;
        while (queue.TryDequeue(out var entry))
        {
            ct.ThrowIfCancellationRequested();
            var fullPath = Path.Combine(root, entry.Path);
            FileStream file;
            try
            {
                file = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                context.Warn($"Skipped '{entry.Path}': it was deleted while the backup ran.");
                lock (vanished) vanished.Add(entry);
                continue;
            }
            catch (UnauthorizedAccessException e)
            {
                throw new TargetUnavailableException($"Target '{context.Target.Name}': cannot read '{fullPath}' ({e.Message}). Grant read access or exclude it.", e)
                { TargetObject = fullPath };
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
                    progress.Add(n, entry.Path);
                }
            }
            if (File.GetLastWriteTimeUtc(fullPath) != entry.Mtime || size != entry.Size)
                context.Warn($"'{entry.Path}' changed while it was read; the next backup reads it again.");
            (entry.Size, entry.Sha256, entry.Backup, entry.Pack, entry.Offset) =
                (size, Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant(), context.BackupId, packName, offset);
            offset += size;
            progress.ItemDone();
        }
    }

    public override Task<RestoreResult> RestoreAsync(TargetRestoreContext context, CancellationToken ct) =>
        new TreeRestorer(context).RunAsync(ct);
}
