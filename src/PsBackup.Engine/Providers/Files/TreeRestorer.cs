using System.Diagnostics;
using System.Security.Cryptography;
using System.Threading.Channels;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers.Files.Native;

namespace PsBackup.Engine.Providers.Files;

/// <summary>
/// Restores a tree as of one backup, reading its index as a stream, in path order, several times
/// rather than holding it: (1) every path is checked, and the destination with it, before the
/// destination is touched (paths, conflicts, symlinks in the way); (2) all bytes are written and
/// verified (each file's SHA-256; each pack's size and stored bytes' SHA-256), each file's metadata
/// applied once it is verified, up to <see cref="PacksPerPass"/> packs per pass, so a
/// corrupt or tampered backup changes nothing: an existing destination gets a staging folder, a
/// new one is removed on failure; (3) files are moved into place, links made and their metadata
/// applied, each directory's as soon as the index is past its contents. What is held is bounded by the
/// depth of the tree, the packs and the hard-link groups, not by the number of files. Paths are
/// handled as bytes (<see cref="FsName"/>) from the index to the system calls.
/// </summary>
internal sealed class TreeRestorer(TargetRestoreContext context)
{
    private const string StagingPrefix = ".psbackup-restore-";
    private const int PacksPerPass = 4;
    private const int PackQueue = 256;
    private byte[] _destination = [];
    private string _what = "";

    /// <summary>What the first pass learns: totals, the packs to read, and the first paths hard links name (with how many name each).</summary>
    private sealed class Plan
    {
        public long Entries, Bytes, Files, Stored;
        public readonly List<(string Backup, string Pack)> Packs = [];
        public readonly Dictionary<string, int> LinkTargets = new(StringComparer.Ordinal);
    }

    /// <summary>
    /// First paths of hard-link groups while their links are still to come: each is forgotten
    /// once the last link naming it is passed, so what is held is the groups still open.
    /// </summary>
    private sealed class OpenGroups<T>(Plan plan)
    {
        private readonly Dictionary<string, (T Value, int Remaining)> _open = new(StringComparer.Ordinal);

        /// <summary>Remembers a file that hard links name.</summary>
        public void File(string path, T value)
        {
            if (plan.LinkTargets.TryGetValue(path, out var links)) _open[path] = (value, links);
        }

        /// <summary>The first path's value for one of its links; false when no file by that path came before.</summary>
        public bool Link(string target, out T value)
        {
            if (!_open.TryGetValue(target, out var group))
            {
                value = default!;
                return false;
            }
            value = group.Value;
            if (group.Remaining <= 1) _open.Remove(target);
            else _open[target] = (group.Value, group.Remaining - 1);
            return true;
        }
    }

    public async Task<RestoreResult> RunAsync(CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var headId = context.Head.Id;
        _what = $"Index of backup '{headId}'";
        FileIndexHeader header;
        await using (var stream = await OpenIndexAsync(ct).ConfigureAwait(false))
        using (var reader = new FileIndexReader(stream, _what))
            header = reader.Header;

        var destination = context.DestinationPath ?? Path.GetFullPath(header.Root);
        _destination = FsName.ToBytes(destination.Length > 1 ? Path.TrimEndingDirectorySeparator(destination) : "");
        var fresh = !Directory.Exists(destination);
        var plan = await CheckAsync(destination, fresh, ct).ConfigureAwait(false);
        var metadata = new MetadataWriter(context.OptionsOr<FileRestoreOptions>(), context.Warn);

        // A destination this restore creates needs no staging: files are written in place and,
        // should anything fail, the destination is removed whole. An existing one gets a
        // staging folder, so its content changes only once every byte has been verified.
        var mtimeBefore = fresh ? default : Directory.GetLastWriteTimeUtc(destination);
        Directory.CreateDirectory(destination);
        var staging = fresh ? null : Path.Combine(destination, StagingPrefix + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            if (!fresh) Directory.CreateDirectory(staging!);
            await StageFilesAsync(staging, plan, metadata, ct).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            await PlaceAsync(staging, plan, metadata, ct).ConfigureAwait(false);
        }
        catch when (fresh)
        {
            NativeTree.Delete(_destination);
            throw;
        }
        catch
        {
            NativeTree.Delete(FsName.ToBytes(staging!));
            Directory.SetLastWriteTimeUtc(destination, mtimeBefore); // the staging folder's traces
            throw;
        }
        finally
        {
            if (staging != null && Directory.Exists(staging))
                NativeTree.Delete(FsName.ToBytes(staging));
        }
        // After staging is gone; to the directory itself, should the destination be a symlink to it.
        metadata.Apply(FsName.ToCString(Directory.ResolveLinkTarget(destination, returnFinalTarget: true)?.FullName ?? destination), RootEntry(header));
        return new RestoreResult
        {
            BackupId = headId,
            Collection = context.Head.Collection,
            Target = context.Target.Name,
            Destination = destination,
            ItemCount = plan.Entries,
            SizeBytes = plan.Bytes,
            Duration = clock.Elapsed,
        };
    }

    private Task<Stream> OpenIndexAsync(CancellationToken ct) => context.OpenArtifactAsync(context.Head.Id, FileTreeProvider.IndexArtifact, ct);

    /// <summary>Each pass reads the head's index from the start (and to its end, so its checksum is verified each time).</summary>
    private async IAsyncEnumerable<FileEntry> EntriesAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var stream = await OpenIndexAsync(ct).ConfigureAwait(false);
        using var reader = new FileIndexReader(stream, _what);
        foreach (var entry in reader.Sorted(e => RelativePath.Validate(e.Path, context.Head.Id)))
        {
            ct.ThrowIfCancellationRequested();
            yield return entry;
        }
    }

    /// <summary><see cref="EntriesAsync"/> for a dedicated thread: blocking reads, no pool thread held.</summary>
    private IEnumerable<FileEntry> Entries(CancellationToken ct)
    {
        using var stream = OpenIndexAsync(ct).GetAwaiter().GetResult();
        using var reader = new FileIndexReader(stream, _what);
        foreach (var entry in reader.Sorted(e => RelativePath.Validate(e.Path, context.Head.Id)))
        {
            ct.ThrowIfCancellationRequested();
            yield return entry;
        }
    }

    /// <summary>The root directory's metadata from the header (format 1 has only mode and mtime).</summary>
    private static FileEntry RootEntry(FileIndexHeader header) => new()
    {
        Path = ".",
        Type = FileEntryType.Directory,
        Mode = header.RootMode,
        Mtime = header.RootMtime,
        Uid = header.RootUid,
        Gid = header.RootGid,
        User = header.RootUser,
        Group = header.RootGroup,
        Xattrs = header.RootXattrs?.Select(x => new Xattr(x.Key, Convert.FromBase64String(x.Value))).OrderBy(x => x.Name, StringComparer.Ordinal).ToList(),
    };

    /// <summary>
    /// The first pass. Index paths are untrusted: each must be plain and relative, unique (the
    /// reader enforces the order), and not below a symlink of the backup (symlinks whose contents
    /// range the index has not passed yet are remembered); a hard link must name a path before it
    /// (that it is a file is checked as the bytes are written, before anything is placed). Then
    /// the destination: nothing to overwrite without Force, no symlink on the way.
    /// </summary>
    private async Task<Plan> CheckAsync(string destination, bool fresh, CancellationToken ct)
    {
        var plan = new Plan();
        var packs = new HashSet<(string, string)>();
        var symlinks = new Stack<string>();
        var preflight = fresh ? null : new Preflight(this, context.Force);
        if (fresh) CheckNewDestination(destination);
        await foreach (var entry in EntriesAsync(ct).ConfigureAwait(false))
        {
            while (symlinks.TryPeek(out var top) && PathOrder.IsPastContents(entry.Path, top)) symlinks.Pop();
            if (symlinks.Any(link => PathOrder.IsBelow(entry.Path, link)))
                throw new UnsafePathException($"Backup '{context.Head.Id}' would write '{FsName.Display(entry.Path)}' through one of its own symlinks. Nothing was restored.") { TargetObject = FsName.Display(entry.Path) };
            plan.Entries++;
            plan.Bytes += entry.Size;
            switch (entry.Type)
            {
                case FileEntryType.Symlink:
                    symlinks.Push(entry.Path);
                    break;
                case FileEntryType.Hardlink:
                    if (PathOrder.Compare(entry.Link!, entry.Path) >= 0)
                        throw NotAFileBefore(entry);
                    plan.LinkTargets[entry.Link!] = plan.LinkTargets.GetValueOrDefault(entry.Link!) + 1;
                    break;
                case FileEntryType.File:
                    plan.Files++;
                    plan.Stored += entry.StoredLength;
                    var pack = (entry.Backup ?? throw new IntegrityException($"Index entry '{FsName.Display(entry.Path)}' names no backup."),
                        entry.Pack ?? throw new IntegrityException($"Index entry '{FsName.Display(entry.Path)}' names no pack."));
                    if (entry.Offset < 0) throw new IntegrityException($"Index entry '{FsName.Display(entry.Path)}' has a negative offset.");
                    if (packs.Add(pack)) plan.Packs.Add(pack);
                    break;
            }
            preflight?.Check(entry);
        }
        preflight?.Finish(destination);
        return plan;
    }

    private IntegrityException NotAFileBefore(FileEntry link) =>
        new($"Backup '{context.Head.Id}': the hard link '{FsName.Display(link.Path)}' names '{FsName.Display(link.Link!)}', which is no file listed before it.");

    private byte[] Full(string relative) => [.. _destination, (byte)'/', .. FsName.ToBytes(relative)];

    private byte[] CFull(string relative) => [.. Full(relative), 0];

    private string Display(string relative) => FsName.Display(FsName.FromBytes(Full(relative)));

    /// <summary>lstat: null when nothing is there.</summary>
    private FileStatus? Lstat(string relative)
    {
        if (FileStatus.TryGet(CFull(relative), out var status, out var errno)) return status;
        if (errno is LibC.ENOENT or LibC.ENOTDIR) return null;
        throw NativeError.Of("stat", FsName.FromBytes(Full(relative)), errno);
    }

    /// <summary>A new destination: neither it nor the folder it would be created in may be a file.</summary>
    private static void CheckNewDestination(string destination)
    {
        for (var path = destination; path != null && !Directory.Exists(path); path = Path.GetDirectoryName(path))
            if (File.Exists(path))
                throw new InvalidBackupRequestException("DestinationIsFile", (path == destination
                    ? $"Restore destination '{destination}' is a file."
                    : $"Restore destination '{destination}' would be inside '{path}', which is a file.")
                    + " Give a directory, existing or new, as -Destination. Nothing was changed.") { TargetObject = destination };
    }

    /// <summary>Refuses, before writing anything, to overwrite an existing destination's items without Force or to write through a symlink in it.</summary>
    private sealed class Preflight(TreeRestorer restorer, bool force)
    {
        private readonly List<string> _checked = []; // the ancestors checked for the previous path, outermost first
        private readonly List<string> _conflicts = [];
        private long _conflictCount;

        public void Check(FileEntry entry)
        {
            var depth = 0;
            foreach (var ancestor in RelativePath.Ancestors(entry.Path))
            {
                if (depth < _checked.Count && _checked[depth] == ancestor)
                {
                    depth++;
                    continue;
                }
                _checked.RemoveRange(depth, _checked.Count - depth);
                _checked.Add(ancestor);
                depth++;
                if (restorer.Lstat(ancestor) is not { } status) continue;
                if (status.IsSymlink)
                    throw new UnsafePathException($"Restore would write through the symlink '{restorer.Display(ancestor)}' in the destination. Remove it or restore elsewhere.") { TargetObject = restorer.Display(ancestor) };
                if (!status.IsDirectory)
                    throw new RestoreConflictException($"'{restorer.Display(ancestor)}' is a file where the backup has a directory.") { TargetObject = restorer.Display(ancestor) };
            }
            if (restorer.Lstat(entry.Path) is not { } existing) return;
            var path = restorer.Display(entry.Path);
            if (entry.Type == FileEntryType.Directory)
            {
                // An existing directory is merged into, not overwritten.
                if (existing.IsSymlink)
                    throw new UnsafePathException($"Restore would write through the symlink '{path}' in the destination.") { TargetObject = path };
                if (!existing.IsDirectory)
                    throw new RestoreConflictException($"'{path}' is a file where the backup has a directory.") { TargetObject = path };
            }
            else if (existing.IsDirectory)
            {
                throw new RestoreConflictException($"'{path}' is a directory where the backup has a {TypeName(entry.Type)}; it is never replaced.") { TargetObject = path };
            }
            else
            {
                if (_conflicts.Count < 3) _conflicts.Add(path);
                _conflictCount++;
            }
        }

        public void Finish(string destination)
        {
            if (_conflictCount > 0 && !force)
                throw new RestoreConflictException(
                    $"Restore would overwrite {_conflictCount} existing item(s) in '{destination}', e.g. {string.Join(", ", _conflicts.Select(c => $"'{c}'"))}. " +
                    "Use -Force to overwrite, or restore to an empty -Destination. Nothing was changed.")
                { TargetObject = destination };
        }
    }

    private static string TypeName(FileEntryType type) => type == FileEntryType.Hardlink ? "file" : type.ToString().ToLowerInvariant();

    /// <summary>
    /// Writes each file's bytes (in place, or to the staging folder as "0", "1" … by its number
    /// among the index's files), reading each needed pack front to back, up to
    /// <see cref="PacksPerPass"/> packs per pass over the index, each on its own task fed through a
    /// bounded queue. Each file and each pack is verified against its SHA-256. The first pass also
    /// creates a new destination's directories and checks that hard links name files.
    /// </summary>
    private async Task StageFilesAsync(string? staging, Plan plan, MetadataWriter metadata, CancellationToken ct)
    {
        var progress = new ProgressReporter(context.Progress, $"Restoring '{context.Target.Name}'", plan.Stored, plan.Files);
        var first = true;
        for (var start = 0; first || start < plan.Packs.Count; start += PacksPerPass)
        {
            var group = plan.Packs.Skip(start).Take(PacksPerPass).ToList();
            await StagePassAsync(staging, plan, group, createDirectories: first && staging == null, checkLinks: first, metadata, progress, ct).ConfigureAwait(false);
            first = false;
        }
        progress.Complete();
    }

    private async Task StagePassAsync(string? staging, Plan plan, List<(string Backup, string Pack)> group, bool createDirectories, bool checkLinks,
        MetadataWriter metadata, ProgressReporter progress, CancellationToken ct)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var queues = group.ToDictionary(p => p, _ => Channel.CreateBounded<(FileEntry File, byte[] Destination)>(
            new BoundedChannelOptions(PackQueue) { SingleReader = true, SingleWriter = true }));
        var workers = group.Select(p => Workers.Guard(DedicatedThread.Run(() => StagePack(p.Backup, p.Pack, queues[p].Reader, metadata, progress, failed.Token), CancellationToken.None), failed)).ToList();
        var feed = Workers.Guard(DedicatedThread.Run(Feed, CancellationToken.None), failed);
        void Feed()
        {
            var files = new OpenGroups<bool>(plan);
            var directories = new DirectoryMaker(this);
            var number = 0;
            foreach (var entry in Entries(failed.Token))
            {
                if (createDirectories) directories.For(entry);
                if (checkLinks)
                {
                    if (entry.Type == FileEntryType.File) files.File(entry.Path, true);
                    else if (entry.Type == FileEntryType.Hardlink && !files.Link(entry.Link!, out _)) throw NotAFileBefore(entry);
                }
                if (entry.Type != FileEntryType.File) continue;
                var file = number++;
                if (queues.TryGetValue((entry.Backup!, entry.Pack!), out var queue))
                    DedicatedThread.Wait(queue.Writer.WriteAsync((entry, staging == null ? CFull(entry.Path) : StagedPath(staging, file)), failed.Token));
            }
            foreach (var queue in queues.Values) queue.Writer.Complete();
        }
        await Workers.WhenAllAsync(workers.Append(feed).ToList()).ConfigureAwait(false);
    }

    private static byte[] StagedPath(string staging, int number) => FsName.ToCString(Path.Combine(staging, number.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>
    /// Writes the files of one pack as they come, in index order, which is the pack's own order
    /// save for bytes an incremental took from elsewhere in its base (a hard-link group's new
    /// first path, a format 1 base): for a file behind the position read so far the pack is
    /// opened again.
    /// </summary>
    private void StagePack(string backupId, string packName, ChannelReader<(FileEntry File, byte[] Destination)> files,
        MetadataWriter metadata, ProgressReporter progress, CancellationToken ct)
    {
        var buffer = new byte[1 << 17];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        // Every file's bytes are checked against its SHA-256 below: the pack's stored bytes are
        // checked at its end (size and SHA-256), its plaintext is counted but not hashed again.
        var pack = OpenPack(backupId, packName, ct);
        try
        {
            long position = 0;
            while (DedicatedThread.Wait(files.WaitToReadAsync(ct)))
            {
                if (!files.TryRead(out var next)) continue;
                var (file, destination) = next;
                var display = FsName.Display(file.Path);
                if (file.Offset < position)
                {
                    pack.Dispose();
                    pack = OpenPack(backupId, packName, ct);
                    position = 0;
                }
                Skip(pack, file.Offset - position, buffer, display, ct);
                using (var output = NativeFile.Create(destination, file.Path))
                {
                    // A file stored whole is one extent; a sparse file's holes are never written, and
                    // its length is set last (a hole at the end has no extent).
                    var extents = file.Extents ?? [0, file.Size];
                    for (var i = 0; i < extents.Length; i += 2)
                    {
                        var (at, remaining) = (extents[i], extents[i + 1]);
                        while (remaining > 0)
                        {
                            ct.ThrowIfCancellationRequested();
                            var n = pack.Read(buffer, 0, (int)Math.Min(buffer.Length, remaining));
                            if (n == 0) throw new IntegrityException($"Pack '{packName}' of backup '{backupId}' ends inside '{display}'.");
                            hash.AppendData(buffer, 0, n);
                            RandomAccess.Write(output, buffer.AsSpan(0, n), at);
                            at += n;
                            remaining -= n;
                            progress.Add(n, display);
                        }
                    }
                    if (file.Extents != null) RandomAccess.SetLength(output, file.Size);
                }
                var actual = Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
                if (!string.Equals(actual, file.Sha256, StringComparison.OrdinalIgnoreCase))
                    throw new IntegrityException($"'{display}' from backup '{backupId}' does not match its recorded SHA-256. Nothing was restored.");
                // Its owner, xattrs, mode and mtime now, on this pack's thread beside the decoding
                // (a move into place keeps them); should a later check fail, the file goes all the same.
                metadata.Apply(destination, file);
                position = file.Offset + file.StoredLength;
                progress.ItemDone();
            }
            pack.CopyTo(Stream.Null); // the pack's own checksum is verified at its end
        }
        finally
        {
            pack.Dispose();
        }
    }

    private Stream OpenPack(string backupId, string packName, CancellationToken ct) =>
        context.OpenArtifactAsync(backupId, packName, plainCheckedByReader: true, ct).GetAwaiter().GetResult();

    private static void Skip(Stream pack, long count, byte[] buffer, string path, CancellationToken ct)
    {
        while (count > 0)
        {
            ct.ThrowIfCancellationRequested();
            var n = pack.Read(buffer, 0, (int)Math.Min(buffer.Length, count));
            if (n == 0) throw new IntegrityException($"A pack ends before the bytes of '{path}'.");
            count -= n;
        }
    }

    /// <summary>Creates every directory of the backup and the parents of every entry, as the index comes (a directory before its contents).</summary>
    private sealed class DirectoryMaker(TreeRestorer restorer)
    {
        private string _last = "";

        public void For(FileEntry entry)
        {
            var directory = entry.Type == FileEntryType.Directory ? entry.Path : Parent(entry.Path);
            if (directory.Length == 0 || directory == _last) return;
            NativeTree.CreateDirectory(restorer.Full(directory), directory);
            _last = directory;
        }

        private static string Parent(string path)
        {
            var slash = path.LastIndexOf('/');
            return slash < 0 ? "" : path[..slash];
        }
    }

    /// <summary>
    /// The last pass: moves verified files into place, creates symlinks and hard links, applying
    /// each one's metadata, and each directory's once the index is past its contents (entries
    /// written into a directory change its mtime). A directory whose mode would keep this process
    /// (not root) from reaching a hard link's first path inside it waits until the end.
    /// </summary>
    private async Task PlaceAsync(string? staging, Plan plan, MetadataWriter metadata, CancellationToken ct)
    {
        var directories = staging == null ? null : new DirectoryMaker(this);
        var open = new Stack<FileEntry>();
        var deferred = new List<FileEntry>();
        var root = LibC.GetEUid() == 0;
        var firstPaths = new OpenGroups<FileEntry>(plan);
        void Close(FileEntry directory)
        {
            if (!root && directory.Mode != null && (Convert.ToUInt32(directory.Mode, 8) & 0x140) != 0x140) deferred.Add(directory); // u+rx
            else metadata.Apply(CFull(directory.Path), directory);
        }
        var number = 0;
        await foreach (var entry in EntriesAsync(ct).ConfigureAwait(false))
        {
            while (open.TryPeek(out var top) && PathOrder.IsPastContents(entry.Path, top.Path)) Close(open.Pop());
            directories?.For(entry);
            var path = CFull(entry.Path);
            switch (entry.Type)
            {
                case FileEntryType.Directory:
                    open.Push(entry);
                    continue;
                case FileEntryType.File:
                    var file = number++;
                    if (staging != null) Check(PathOps.Rename(StagedPath(staging, file), path), "move into place", entry.Path);
                    firstPaths.File(entry.Path, entry);
                    continue; // its metadata was applied as its bytes were written
                case FileEntryType.Symlink:
                    RemoveForced(path, entry.Path);
                    Check(PathOps.Symlink(FsName.ToCString(entry.Target ?? throw new IntegrityException($"Symlink '{FsName.Display(entry.Path)}' has no target.")), path),
                        "create symlink", entry.Path);
                    break;
                case FileEntryType.Hardlink:
                    RemoveForced(path, entry.Path);
                    Link(firstPaths.Link(entry.Link!, out var first) ? first : throw NotAFileBefore(entry), entry, path, metadata);
                    continue; // shares the first path's inode, metadata and all
            }
            metadata.Apply(path, entry);
        }
        while (open.TryPop(out var directory)) Close(directory);
        foreach (var directory in deferred.OrderByDescending(e => e.Path.Count(c => c == '/')))
            metadata.Apply(CFull(directory.Path), directory);
    }

    /// <summary>A hard link to the restored first path; where the file system refuses links, a copy (and a warning).</summary>
    private void Link(FileEntry first, FileEntry entry, byte[] path, MetadataWriter metadata)
    {
        var errno = PathOps.Link(CFull(first.Path), path);
        if (errno == 0) return;
        if (errno is not (LibC.EMLINK or LibC.EPERM or LibC.EOPNOTSUPP or LibC.EXDEV))
            throw NativeError.Of("create hard link", entry.Path, errno);
        context.Warn($"Could not hard-link '{FsName.Display(entry.Path)}' to '{FsName.Display(first.Path)}' ({NativeError.Describe(errno)}); restored it as a copy.");
        NativeFile.Copy(CFull(first.Path), path, entry.Path);
        metadata.Apply(path, first);
    }

    /// <summary>With Force, what is in the way of a symlink or hard link goes (never a directory: the preflight refused those).</summary>
    private void RemoveForced(byte[] path, string relative)
    {
        if (!context.Force) return;
        var errno = PathOps.Unlink(path);
        if (errno is not (0 or LibC.ENOENT)) throw NativeError.Of("replace", relative, errno);
    }

    private static void Check(int errno, string what, string path)
    {
        if (errno != 0) throw NativeError.Of(what, path, errno);
    }
}
