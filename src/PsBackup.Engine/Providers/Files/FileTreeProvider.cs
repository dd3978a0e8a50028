using System.Net;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using Newtonsoft.Json.Linq;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers.Capabilities;
using PsBackup.Engine.Providers.Files.Native;

namespace PsBackup.Engine.Providers.Files;

/// <summary>
/// File trees, on 64-bit Linux, by name bytes (Native/). A backup writes "pack-N" artifacts (the
/// bytes of the files it read, end to end, holes left out, spread over one pack per core) and an
/// "index" (every path of the tree with its metadata — owners, xattrs, hard links, holes — and
/// for each file the backup, pack and offset holding its bytes). An incremental reads only files
/// whose content changed since its base (<see cref="ChangeDetection"/>) and points at the base's
/// bytes for the rest, so its index alone describes the whole tree of its moment.
/// </summary>
public sealed class FileTreeProvider : EngineKind<FileTreeTarget>, IIncrementalBackup, IHealthProbe, IRestoreDrill
{
    internal const string PackPrefix = "pack-";
    internal const string IndexArtifact = "index";
    private const int BufferSize = 1 << 17;
    private const int MaxPacks = 4;
    private const long SmallTarget = 16 << 20; // below this, one pack: parallelism would not pay

    public override Type RestoreOptionsType => typeof(FileRestoreOptions);

    public override IReadOnlyList<string> RequiredArtifacts(BackupType type) => [IndexArtifact];

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
        if (!OperatingSystem.IsLinux() || !Environment.Is64BitProcess)
            throw new TargetUnavailableException($"Target '{target.Name}': file-tree targets need 64-bit Linux (names, owners, hard links, holes and xattrs are read with its system calls).") { TargetObject = root };
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

        var options = new ScanOptions(Xattrs: !target.NoXattrs, Ctime: target.UseCtime);
        var entries = TreeScanner.Scan(target.Path, new PathFilter(target.Include, target.Exclude), options, context.Warn, ct);
        var changes = ChangeDetection.Apply(entries, baseEntries, target.UseCtime);
        baseEntries.Clear();

        var progress = new ProgressReporter(context.Progress, $"Backing up '{target.Name}'", changes.ToRead.Sum(e => e.Size), changes.ToRead.Count);
        var vanished = await WritePacksAsync(FsName.ToBytes(target.Path), changes.ToRead, context, progress, ct).ConfigureAwait(false);
        progress.Complete();
        if (vanished.Count > 0)
        {
            var gone = vanished.Select(e => e.Path).ToHashSet(StringComparer.Ordinal);
            foreach (var link in entries.Where(e => e.Type == FileEntryType.Hardlink && gone.Contains(e.Link!)))
                context.Warn($"Skipped '{FsName.Display(link.Path)}': '{FsName.Display(link.Link!)}', the first path of its hard links, was deleted while the backup ran; the next backup reads it.");
            entries.RemoveAll(e => vanished.Contains(e) || (e.Type == FileEntryType.Hardlink && gone.Contains(e.Link!)));
        }

        var header = TreeScanner.Header(target.Path, options, context.Warn);
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
            ["bytesRead"] = changes.ToRead.Where(e => !vanished.Contains(e)).Sum(e => e.StoredLength),
            ["added"] = changes.Added,
            ["modified"] = changes.Modified,
            ["deleted"] = changes.Deleted,
        };
    }

    /// <summary>
    /// Reads the files into up to <see cref="MaxPacks"/> pack artifacts written in parallel (brotli
    /// streams cannot be concatenated, so parallel compression means several packs). Workers take
    /// files in scan order from a shared queue. Returns the entries of files that vanished.
    /// </summary>
    private static async Task<HashSet<FileEntry>> WritePacksAsync(byte[] root, List<FileEntry> toRead,
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

    /// <summary>
    /// Appends files from the queue to one pack, recording pack, offset, size and SHA-256 as read.
    /// A file with fewer blocks than its length is read by its data extents (SEEK_DATA/SEEK_HOLE):
    /// holes are recorded in the index, never stored.
    /// </summary>
    private static void WritePack(byte[] root, string packName, Stream pack, System.Collections.Concurrent.ConcurrentQueue<FileEntry> queue,
        TargetBackupContext context, HashSet<FileEntry> vanished, ProgressReporter progress, CancellationToken ct)
    {
        var buffer = new byte[BufferSize];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long offset = 0;
        while (queue.TryDequeue(out var entry))
        {
            ct.ThrowIfCancellationRequested();
            using var file = Open(root, entry, context);
            if (file == null)
            {
                lock (vanished) vanished.Add(entry);
                continue;
            }
            var fd = NativeFile.Descriptor(file);
            var opened = FileStatus.Of(fd, entry.Path);
            var extents = opened.MayBeSparse ? NativeFile.DataExtents(file, opened.Size, entry.Path) : null;
            if (extents is [(0, var whole)] && whole == opened.Size) extents = null; // no hole after all
            long stored = 0, size;
            List<long>? kept = extents == null ? null : [];
            if (extents == null)
            {
                size = Copy(file, 0, long.MaxValue, buffer, hash, pack, progress, entry.Path, ct); // to the end, whatever the length now
                stored = size;
            }
            else
            {
                size = opened.Size;
                foreach (var (at, length) in extents)
                {
                    var n = Copy(file, at, length, buffer, hash, pack, progress, entry.Path, ct);
                    if (n > 0) kept!.AddRange([at, n]);
                    stored += n;
                    if (n < length) break; // shrank while read: the warning below says so
                }
                progress.Add(size - stored, entry.Path); // the holes count as done
            }
            var after = FileStatus.Of(fd, entry.Path);
            if (after.Mtime.ToDateTime() != entry.Mtime || after.Size != size)
                context.Warn($"'{FsName.Display(entry.Path)}' changed while it was read; the next backup reads it again.");
            (entry.Size, entry.Extents, entry.Sha256, entry.Backup, entry.Pack, entry.Offset) =
                (size, kept?.ToArray(), Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant(), context.BackupId, packName, offset);
            offset += stored;
            progress.ItemDone();
        }
    }

    /// <summary>Opens a file to read by its name bytes; null (with a warning) when it vanished or is no longer a regular file.</summary>
    private static SafeFileHandle? Open(byte[] root, FileEntry entry, TargetBackupContext context)
    {
        var cPath = (byte[])[.. root, (byte)'/', .. FsName.ToBytes(entry.Path), 0];
        var file = NativeFile.TryOpenRead(cPath, out var errno);
        if (file == null)
        {
            if (errno is LibC.ENOENT or LibC.ENOTDIR or LibC.ELOOP)
            {
                context.Warn($"Skipped '{FsName.Display(entry.Path)}': it was deleted while the backup ran.");
                return null;
            }
            var message = $"Target '{context.Target.Name}': cannot read '{FsName.Display(FsName.FromBytes(cPath.AsSpan(0, cPath.Length - 1)))}' ({NativeError.Describe(errno)}).";
            throw errno is LibC.EACCES or LibC.EPERM
                ? new TargetUnavailableException(message + " Grant read access or exclude it.") { TargetObject = FsName.Display(entry.Path) }
                : NativeError.Of("open", entry.Path, errno);
        }
        if (FileStatus.Of(NativeFile.Descriptor(file), entry.Path).IsRegular) return file;
        file.Dispose();
        context.Warn($"Skipped '{FsName.Display(entry.Path)}': it is no longer a regular file.");
        return null;
    }

    /// <summary>Copies up to <paramref name="length"/> bytes from <paramref name="at"/> into the pack; returns how many there were.</summary>
    private static long Copy(SafeFileHandle file, long at, long length, byte[] buffer, IncrementalHash hash, Stream pack,
        ProgressReporter progress, string path, CancellationToken ct)
    {
        long done = 0;
        while (done < length)
        {
            ct.ThrowIfCancellationRequested();
            var n = RandomAccess.Read(file, buffer.AsSpan(0, (int)Math.Min(buffer.Length, length - done)), at + done);
            if (n == 0) break;
            hash.AppendData(buffer, 0, n);
            pack.Write(buffer, 0, n);
            done += n;
            progress.Add(n, path);
        }
        return done;
    }

    public override Task<RestoreResult> RestoreAsync(TargetRestoreContext context, CancellationToken ct) =>
        new TreeRestorer(context).RunAsync(ct);

    public Task<DrillScratch> CreateScratchAsync(BackupTarget target, DrillSettings settings, CancellationToken ct) => FileTreeDrill.CreateAsync(target, settings);

    public Task<IReadOnlyList<DrillCheck>> VerifyAsync(TargetRestoreContext restored, DrillScratch scratch, CancellationToken ct) => FileTreeDrill.VerifyAsync(restored, scratch, ct);

    public string DescribeScratch(BackupTarget target, DrillSettings settings) => FileTreeDrill.Describe(target, settings);
}
