using System.Diagnostics;
using System.Security.Cryptography;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers.Files.Native;

namespace PsBackup.Engine.Providers.Files;

/// <summary>
/// Restores a tree as of one backup. Everything is checked before the destination is touched
/// (paths, conflicts, symlinks in the way); all bytes are verified (per file and per pack
/// SHA-256) before an existing destination changes, so a corrupt or tampered backup changes
/// nothing: an existing destination gets a staging folder, a new one is removed on failure.
/// Paths are handled as bytes (<see cref="FsName"/>) from the index to the system calls.
/// </summary>
internal sealed class TreeRestorer(TargetRestoreContext context)
{
    private const string StagingPrefix = ".psbackup-restore-";
    private byte[] _destination = [];

    public async Task<RestoreResult> RunAsync(CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var headId = context.Head.Id;
        FileIndexHeader header;
        List<FileEntry> entries;
        await using (var stream = await context.OpenArtifactAsync(headId, FileTreeProvider.IndexArtifact, ct).ConfigureAwait(false))
            (header, entries) = FileIndex.Read(stream, $"Index of backup '{headId}'");
        var files = ValidatePaths(entries, headId);

        var destination = context.DestinationPath ?? Path.GetFullPath(header.Root);
        _destination = FsName.ToBytes(destination.Length > 1 ? Path.TrimEndingDirectorySeparator(destination) : "");
        Preflight(destination, entries);
        var metadata = new MetadataWriter(context.OptionsOr<FileRestoreOptions>(), context.Warn);

        // A destination this restore creates needs no staging: files are written in place and,
        // should anything fail, the destination is removed whole. An existing one gets a
        // staging folder, so its content changes only once every byte has been verified.
        var fresh = !Directory.Exists(destination);
        var mtimeBefore = fresh ? default : Directory.GetLastWriteTimeUtc(destination);
        Directory.CreateDirectory(destination);
        var staging = fresh ? null : Path.Combine(destination, StagingPrefix + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            if (fresh) CreateDirectories(entries);
            else Directory.CreateDirectory(staging!);
            var staged = await StageFilesAsync(staging, entries, ct).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            Place(entries, files, staging, staged, metadata);
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
            ItemCount = entries.Count,
            SizeBytes = entries.Sum(e => e.Size),
            Duration = clock.Elapsed,
        };
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
    /// Index paths are untrusted: each must be plain and relative, unique, and not below a symlink
    /// of the backup; a hard link must name a file listed before it. Returns the files by path.
    /// </summary>
    private static Dictionary<string, FileEntry> ValidatePaths(List<FileEntry> entries, string backupId)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var files = new Dictionary<string, FileEntry>(StringComparer.Ordinal);
        var links = entries.Where(e => e.Type == FileEntryType.Symlink).Select(e => e.Path).ToHashSet(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            RelativePath.Validate(entry.Path, backupId);
            if (!seen.Add(entry.Path))
                throw new IntegrityException($"Backup '{backupId}' lists '{FsName.Display(entry.Path)}' twice.");
            if (RelativePath.Ancestors(entry.Path).Any(links.Contains))
                throw new UnsafePathException($"Backup '{backupId}' would write '{FsName.Display(entry.Path)}' through one of its own symlinks. Nothing was restored.") { TargetObject = FsName.Display(entry.Path) };
            if (entry.Type == FileEntryType.File)
                files[entry.Path] = entry;
            else if (entry.Type == FileEntryType.Hardlink && !files.ContainsKey(entry.Link!))
                throw new IntegrityException($"Backup '{backupId}': the hard link '{FsName.Display(entry.Path)}' names '{FsName.Display(entry.Link!)}', which is no file listed before it.");
        }
        return files;
    }

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

    /// <summary>Refuses, before writing anything, to overwrite without Force or to write through a symlink in the destination.</summary>
    private void Preflight(string destination, List<FileEntry> entries)
    {
        if (!Directory.Exists(destination))
        {
            // A new destination: neither it nor the folder it would be created in may be a file.
            for (var path = destination; path != null && !Directory.Exists(path); path = Path.GetDirectoryName(path))
                if (File.Exists(path))
                    throw new InvalidBackupRequestException("DestinationIsFile", (path == destination
                        ? $"Restore destination '{destination}' is a file."
                        : $"Restore destination '{destination}' would be inside '{path}', which is a file.")
                        + " Give a directory, existing or new, as -Destination. Nothing was changed.") { TargetObject = destination };
            return;
        }
        var conflicts = new List<string>();
        var checkedDirs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            foreach (var ancestor in RelativePath.Ancestors(entry.Path))
            {
                if (!checkedDirs.Add(ancestor)) continue;
                if (Lstat(ancestor) is not { } status) continue;
                if (status.IsSymlink)
                    throw new UnsafePathException($"Restore would write through the symlink '{Display(ancestor)}' in the destination. Remove it or restore elsewhere.") { TargetObject = Display(ancestor) };
                if (!status.IsDirectory)
                    throw new RestoreConflictException($"'{Display(ancestor)}' is a file where the backup has a directory.") { TargetObject = Display(ancestor) };
            }
            if (Lstat(entry.Path) is not { } existing) continue;
            var path = Display(entry.Path);
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
                conflicts.Add(path);
            }
        }
        if (conflicts.Count > 0 && !context.Force)
            throw new RestoreConflictException(
                $"Restore would overwrite {conflicts.Count} existing item(s) in '{destination}', e.g. {string.Join(", ", conflicts.Take(3).Select(c => $"'{c}'"))}. " +
                "Use -Force to overwrite, or restore to an empty -Destination. Nothing was changed.")
            { TargetObject = destination };
    }

    private static string TypeName(FileEntryType type) => type == FileEntryType.Hardlink ? "file" : type.ToString().ToLowerInvariant();

    /// <summary>
    /// Writes each file's bytes (in place, or to the staging folder as "0", "1" …), reading every
    /// pack of the chain once, front to back, two packs at a time. Each file and each pack is
    /// verified against its SHA-256. Returns the staged files' numbers.
    /// </summary>
    private async Task<Dictionary<FileEntry, int>> StageFilesAsync(string? staging, List<FileEntry> entries, CancellationToken ct)
    {
        var files = entries.Where(e => e.Type == FileEntryType.File).ToList();
        var staged = files.Select((file, i) => (file, i)).ToDictionary(x => x.file, x => x.i);
        byte[] Destination(FileEntry file) => staging == null ? CFull(file.Path) : StagedPath(staging, staged[file]);
        var progress = new ProgressReporter(context.Progress, $"Restoring '{context.Target.Name}'", files.Sum(f => f.StoredLength), files.Count);
        var packs = files.GroupBy(f => (
            Backup: f.Backup ?? throw new IntegrityException($"Index entry '{FsName.Display(f.Path)}' names no backup."),
            Pack: f.Pack ?? throw new IntegrityException($"Index entry '{FsName.Display(f.Path)}' names no pack.")));
        await Parallel.ForEachAsync(packs, new ParallelOptions { MaxDegreeOfParallelism = 2, CancellationToken = ct },
            (pack, token) => new ValueTask(StagePackAsync(pack.Key.Backup, pack.Key.Pack, pack.OrderBy(f => f.Offset).ToList(), Destination, progress, token))).ConfigureAwait(false);
        progress.Complete();
        return staged;
    }

    private static byte[] StagedPath(string staging, int number) => FsName.ToCString(Path.Combine(staging, number.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    private async Task StagePackAsync(string backupId, string packName, List<FileEntry> files, Func<FileEntry, byte[]> destination,
        ProgressReporter progress, CancellationToken ct)
    {
        var buffer = new byte[1 << 17];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var pack = await context.OpenArtifactAsync(backupId, packName, ct).ConfigureAwait(false);
        long position = 0;
        foreach (var file in files)
        {
            var display = FsName.Display(file.Path);
            if (file.Offset < position)
                throw new IntegrityException($"Index of backup '{context.Head.Id}' has overlapping pack ranges at '{display}'.");
            await SkipAsync(pack, file.Offset - position, buffer, display, ct).ConfigureAwait(false);
            using (var output = NativeFile.Create(destination(file), file.Path))
            {
                // A file stored whole is one extent; a sparse file's holes are never written, and
                // its length is set last (a hole at the end has no extent).
                var extents = file.Extents ?? [0, file.Size];
                for (var i = 0; i < extents.Length; i += 2)
                {
                    var (at, remaining) = (extents[i], extents[i + 1]);
                    while (remaining > 0)
                    {
                        var n = await pack.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), ct).ConfigureAwait(false);
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
            position = file.Offset + file.StoredLength;
            progress.ItemDone();
        }
        await pack.CopyToAsync(Stream.Null, ct).ConfigureAwait(false); // the pack's own checksum is verified at its end
    }

    private static async Task SkipAsync(Stream pack, long count, byte[] buffer, string path, CancellationToken ct)
    {
        while (count > 0)
        {
            var n = await pack.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), ct).ConfigureAwait(false);
            if (n == 0) throw new IntegrityException($"A pack ends before the bytes of '{path}'.");
            count -= n;
        }
    }

    /// <summary>Every directory of the backup, and the parents of every entry.</summary>
    private void CreateDirectories(List<FileEntry> entries)
    {
        var made = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var directory = entry.Type == FileEntryType.Directory ? entry.Path : Parent(entry.Path);
            if (directory.Length > 0 && made.Add(directory))
                NativeTree.CreateDirectory(Full(directory), directory);
        }
    }

    private static string Parent(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? "" : path[..slash];
    }

    /// <summary>
    /// Moves verified files into place, creates symlinks and hard links, applying each one's
    /// metadata, then the directories' (deepest first: entries written into a directory change its mtime).
    /// </summary>
    private void Place(List<FileEntry> entries, Dictionary<string, FileEntry> files, string? staging, Dictionary<FileEntry, int> staged, MetadataWriter metadata)
    {
        if (staging != null) CreateDirectories(entries);
        foreach (var entry in entries)
        {
            var path = CFull(entry.Path);
            switch (entry.Type)
            {
                case FileEntryType.Directory:
                    continue;
                case FileEntryType.File:
                    if (staging != null) Check(PathOps.Rename(StagedPath(staging, staged[entry]), path), "move into place", entry.Path);
                    break;
                case FileEntryType.Symlink:
                    RemoveForced(path, entry.Path);
                    Check(PathOps.Symlink(FsName.ToCString(entry.Target ?? throw new IntegrityException($"Symlink '{FsName.Display(entry.Path)}' has no target.")), path),
                        "create symlink", entry.Path);
                    break;
                case FileEntryType.Hardlink:
                    RemoveForced(path, entry.Path);
                    Link(files[entry.Link!], entry, path, metadata);
                    continue; // shares the first path's inode, metadata and all
            }
            metadata.Apply(path, entry);
        }
        foreach (var entry in entries.Where(e => e.Type == FileEntryType.Directory).OrderByDescending(e => e.Path.Count(c => c == '/')))
            metadata.Apply(CFull(entry.Path), entry);
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
