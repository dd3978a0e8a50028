using System.Diagnostics;
using System.Security.Cryptography;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Providers.Files;

/// <summary>
/// Restores a tree as of one backup. Everything is checked before the destination is touched
/// (paths, conflicts, symlinks in the way); all bytes are verified (per file and per pack
/// SHA-256) before an existing destination changes, so a corrupt or tampered backup changes
/// nothing: an existing destination gets a staging folder, a new one is removed on failure.
/// </summary>
internal sealed class TreeRestorer(TargetRestoreContext context)
{
    private const string StagingPrefix = ".psbackup-restore-";

    public async Task<RestoreResult> RunAsync(CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var headId = context.Head.Id;
        FileIndexHeader header;
        List<FileEntry> entries;
        await using (var stream = await context.OpenArtifactAsync(headId, FileTreeProvider.IndexArtifact, ct).ConfigureAwait(false))
            (header, entries) = FileIndex.Read(stream, $"Index of backup '{headId}'");
        ValidatePaths(entries, headId);

        var destination = context.DestinationPath ?? Path.GetFullPath(header.Root);
        Preflight(destination, entries);

        // A destination this restore creates needs no staging: files are written in place and,
        // should anything fail, the destination is removed whole. An existing one gets a
        // staging folder, so its content changes only once every byte has been verified.
        var fresh = !Directory.Exists(destination);
        var mtimeBefore = fresh ? default : Directory.GetLastWriteTimeUtc(destination);
        Directory.CreateDirectory(destination);
        var staging = fresh ? null : Path.Combine(destination, StagingPrefix + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            if (fresh) CreateDirectories(destination, entries);
            else Directory.CreateDirectory(staging!);
            var staged = await StageFilesAsync(staging ?? destination, inPlace: fresh, entries, ct).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            Place(destination, entries, staged, inPlace: fresh);
        }
        catch when (fresh)
        {
            Directory.Delete(destination, recursive: true);
            throw;
        }
        catch
        {
            Directory.Delete(staging!, recursive: true);
            Directory.SetLastWriteTimeUtc(destination, mtimeBefore); // the staging folder's traces
            throw;
        }
        finally
        {
            if (staging != null && Directory.Exists(staging))
                Directory.Delete(staging, recursive: true);
        }
        FileMetadata.Apply(destination, header.RootMode, header.RootMtime, isSymlink: false); // after staging is gone
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

    /// <summary>Index paths are untrusted: each must be plain and relative, unique, and not below a symlink of the backup.</summary>
    private static void ValidatePaths(List<FileEntry> entries, string backupId)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var links = entries.Where(e => e.Type == FileEntryType.Symlink).Select(e => e.Path).ToHashSet(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            RelativePath.Validate(entry.Path, backupId);
            if (!seen.Add(entry.Path))
                throw new IntegrityException($"Backup '{backupId}' lists '{entry.Path}' twice.");
            if (RelativePath.Ancestors(entry.Path).Any(links.Contains))
                throw new UnsafePathException($"Backup '{backupId}' would write '{entry.Path}' through one of its own symlinks. Nothing was restored.") { TargetObject = entry.Path };
        }
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
                var info = new FileInfo(Path.Combine(destination, ancestor));
                if (info.LinkTarget != null)
                    throw new UnsafePathException($"Restore would write through the symlink '{info.FullName}' in the destination. Remove it or restore elsewhere.") { TargetObject = info.FullName };
                if (info.Exists)
                    throw new RestoreConflictException($"'{info.FullName}' is a file where the backup has a directory.") { TargetObject = info.FullName };
            }
            var path = Path.Combine(destination, entry.Path);
            var existing = new FileInfo(path);
            var isDirectory = existing.LinkTarget == null && Directory.Exists(path);
            if (entry.Type == FileEntryType.Directory)
            {
                // An existing directory is merged into, not overwritten.
                if (existing.LinkTarget != null)
                    throw new UnsafePathException($"Restore would write through the symlink '{path}' in the destination.") { TargetObject = path };
                if (existing.Exists)
                    throw new RestoreConflictException($"'{path}' is a file where the backup has a directory.") { TargetObject = path };
            }
            else if (isDirectory)
            {
                throw new RestoreConflictException($"'{path}' is a directory where the backup has a {entry.Type.ToString().ToLowerInvariant()}; it is never replaced.") { TargetObject = path };
            }
            else if (existing.Exists || existing.LinkTarget != null)
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

    /// <summary>
    /// Writes each file's bytes to the staging folder, reading every pack of the chain once, front
    /// to back, two packs at a time. Each file and each pack is verified against its SHA-256.
    /// </summary>
    private async Task<Dictionary<FileEntry, string>> StageFilesAsync(string staging, bool inPlace, List<FileEntry> entries, CancellationToken ct)
    {
        var files = entries.Where(e => e.Type == FileEntryType.File).ToList();
        var staged = files.Select((file, i) => (file, path: Path.Combine(staging, inPlace ? file.Path : i.ToString(System.Globalization.CultureInfo.InvariantCulture)))).ToDictionary(x => x.file, x => x.path);
        var progress = new ProgressReporter(context.Progress, $"Restoring '{context.Target.Name}'", files.Sum(f => f.Size), files.Count);
        var packs = files.GroupBy(f => (
            Backup: f.Backup ?? throw new IntegrityException($"Index entry '{f.Path}' names no backup."),
            Pack: f.Pack ?? throw new IntegrityException($"Index entry '{f.Path}' names no pack.")));
        await Parallel.ForEachAsync(packs, new ParallelOptions { MaxDegreeOfParallelism = 2, CancellationToken = ct },
            (pack, token) => new ValueTask(StagePackAsync(pack.Key.Backup, pack.Key.Pack, pack.OrderBy(f => f.Offset).ToList(), staged, progress, token))).ConfigureAwait(false);
        progress.Complete();
        return staged;
    }

    private async Task StagePackAsync(string backupId, string packName, List<FileEntry> files, Dictionary<FileEntry, string> staged,
        ProgressReporter progress, CancellationToken ct)
    {
        var buffer = new byte[1 << 17];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var pack = await context.OpenArtifactAsync(backupId, packName, ct).ConfigureAwait(false);
        long position = 0;
        foreach (var file in files)
        {
            if (file.Offset < position)
                throw new IntegrityException($"Index of backup '{context.Head.Id}' has overlapping pack ranges at '{file.Path}'.");
            await SkipAsync(pack, file.Offset - position, buffer, file.Path, ct).ConfigureAwait(false);
            await using (var output = new FileStream(staged[file], FileMode.CreateNew, FileAccess.Write, FileShare.None, 1))
            {
                var remaining = file.Size;
                while (remaining > 0)
                {
                    var n = await pack.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), ct).ConfigureAwait(false);
                    if (n == 0) throw new IntegrityException($"Pack '{packName}' of backup '{backupId}' ends inside '{file.Path}'.");
                    hash.AppendData(buffer, 0, n);
                    await output.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                    remaining -= n;
                    progress.Add(n, file.Path);
                }
            }
            var actual = Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
            if (!string.Equals(actual, file.Sha256, StringComparison.OrdinalIgnoreCase))
                throw new IntegrityException($"'{file.Path}' from backup '{backupId}' does not match its recorded SHA-256. Nothing was restored.");
            position = file.Offset + file.Size;
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
    private static void CreateDirectories(string destination, List<FileEntry> entries)
    {
        foreach (var entry in entries)
            Directory.CreateDirectory(Path.Combine(destination, entry.Type == FileEntryType.Directory ? entry.Path : Path.GetDirectoryName(entry.Path)!));
    }

    /// <summary>Moves verified files into place, creates directories and links, then applies metadata (directories last, deepest first).</summary>
    private void Place(string destination, List<FileEntry> entries, Dictionary<FileEntry, string> staged, bool inPlace)
    {
        if (!inPlace) CreateDirectories(destination, entries);
        foreach (var entry in entries.Where(e => e.Type != FileEntryType.Directory))
        {
            var path = Path.Combine(destination, entry.Path);
            if (entry.Type == FileEntryType.File)
            {
                if (!inPlace) File.Move(staged[entry], path, overwrite: context.Force);
            }
            else
            {
                if (context.Force && (File.Exists(path) || new FileInfo(path).LinkTarget != null))
                    File.Delete(path);
                File.CreateSymbolicLink(path, entry.Target ?? throw new IntegrityException($"Symlink '{entry.Path}' has no target."));
            }
            FileMetadata.Apply(path, entry.Mode, entry.Mtime, entry.Type == FileEntryType.Symlink);
        }
        foreach (var entry in entries.Where(e => e.Type == FileEntryType.Directory).OrderByDescending(e => e.Path.Count(c => c == '/')))
            FileMetadata.Apply(Path.Combine(destination, entry.Path), entry.Mode, entry.Mtime, isSymlink: false);
    }
}
