using System.Buffers;
using System.Security.Cryptography;
using PsBackup.Engine.Providers.Capabilities;
using PsBackup.Engine.Providers.Files.Native;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers.Files;

/// <summary>
/// A drill's checks of a restored tree, independent of the restore's own: the backup's index is
/// read again and compared with its record in the manifest (entries, files, bytes), the restored
/// folder is walked again by name bytes (<see cref="TreeScanner"/>), and every path, type, mode,
/// mtime, symlink target, hard link, owner (when the drill may chown), xattr and file content
/// (SHA-256 of its stored bytes, read back from disk) is compared with the index.
/// </summary>
internal sealed class TreeComparison(TargetRestoreContext context, string destination)
{
    private const int Shown = 5;

    public async Task<IReadOnlyList<DrillCheck>> RunAsync(CancellationToken ct)
    {
        FileIndexHeader header;
        List<FileEntry> expected;
        await using (var stream = await context.OpenArtifactAsync(context.Head.Id, FileTreeProvider.IndexArtifact, ct).ConfigureAwait(false))
            (header, expected) = FileIndex.Read(stream, $"Index of backup '{context.Head.Id}'");
        var checks = new List<DrillCheck> { RecordedTotals(expected) };

        var warnings = new List<string>();
        var restored = TreeScanner.Scan(destination, new PathFilter([], []), new ScanOptions(Xattrs: true, Ctime: false), warnings.Add, ct)
            .ToDictionary(e => e.Path, StringComparer.Ordinal);
        var missing = expected.Where(e => !restored.ContainsKey(e.Path)).Select(e => e.Path).ToList();
        var known = expected.Select(e => e.Path).ToHashSet(StringComparer.Ordinal);
        var extra = restored.Keys.Where(p => !known.Contains(p)).ToList();
        checks.Add(new DrillCheck("paths", $"{expected.Count} paths", missing.Count + extra.Count == 0
                ? $"{restored.Count} restored, none missing or extra"
                : $"{missing.Count} missing{Examples(missing)}, {extra.Count} extra{Examples(extra)}",
            missing.Count + extra.Count == 0));

        var pairs = expected.Where(e => restored.ContainsKey(e.Path)).Select(e => (Expected: e, Restored: restored[e.Path])).ToList();
        checks.Add(Compare("types, modes, mtimes, symlink targets and hard links", pairs, Metadata));
        checks.Add(OwnerCheck(pairs, header));
        checks.Add(XattrCheck(pairs));
        checks.Add(RootCheck(header));
        checks.Add(await ContentCheckAsync(pairs, ct).ConfigureAwait(false));
        return checks;
    }

    /// <summary>The index against the backup's record in the manifest: a line dropped from (or added to) the index shows here.</summary>
    private DrillCheck RecordedTotals(List<FileEntry> index)
    {
        var state = context.HeadRecord.State;
        var observed = $"index: {index.Count} entries, {index.Count(e => e.Type == FileEntryType.File)} files, {index.Sum(e => e.Size)} bytes";
        if (state?["entries"] == null || state["files"] == null || state["bytes"] == null)
            return new DrillCheck("index against the backup's record (not recorded by this backup: not compared)", "not recorded", observed, true);
        var recorded = $"{(long)state["entries"]!} entries, {(long)state["files"]!} files, {(long)state["bytes"]!} bytes";
        return new DrillCheck("index against the backup's record", recorded, observed, observed == "index: " + recorded);
    }

    /// <summary>What a restore reproduces exactly for every path; the first difference of an entry, or null.</summary>
    private static string? Metadata(FileEntry e, FileEntry r)
    {
        if (e.Type != r.Type) return $"a {Type(e.Type)} restored as a {Type(r.Type)}";
        switch (e.Type)
        {
            case FileEntryType.Hardlink:
                return e.Link == r.Link ? null : $"a hard link to '{FsName.Display(e.Link!)}' restored linked to '{FsName.Display(r.Link ?? "")}'";
            case FileEntryType.File when e.Size != r.Size:
                return $"size {e.Size} restored as {r.Size}";
            case FileEntryType.Symlink when e.Target != r.Target:
                return $"symlink target '{FsName.Display(e.Target ?? "")}' restored as '{FsName.Display(r.Target ?? "")}'";
        }
        if (e.Type != FileEntryType.Symlink && e.Mode != null && e.Mode != r.Mode) return $"mode {e.Mode} restored as {r.Mode}";
        if (e.Mtime != r.Mtime) return $"mtime {FileIndex.FormatTime(e.Mtime)} restored as {FileIndex.FormatTime(r.Mtime)}";
        return null;
    }

    /// <summary>Owners as the restore gives them (GNU tar's rule); only a drill that may chown can have restored them.</summary>
    private static DrillCheck OwnerCheck(List<(FileEntry Expected, FileEntry Restored)> pairs, FileIndexHeader header)
    {
        const string name = "owners";
        if (!Accounts.CanChown())
            return new DrillCheck(name + " (not compared: the drill ran without root or CAP_CHOWN, so the restore could not set them)", "recorded owners", "not compared", true);
        var owners = new OwnerMapping(true, false, Accounts.UserId, Accounts.GroupId);
        return Compare(name, pairs.Where(p => p.Expected.Type != FileEntryType.Hardlink && p.Expected.Uid != null).ToList(), (e, r) =>
            owners.Resolve(e.Uid, e.Gid, e.User, e.Group) is { } owner && (owner.Uid != r.Uid || owner.Gid != r.Gid)
                ? $"owner {owner.Uid}:{owner.Gid} restored as {r.Uid}:{r.Gid}"
                : null);
    }

    /// <summary>The recorded xattrs this process could restore (all as root; user.* and ACLs otherwise), on a file system that takes them.</summary>
    private DrillCheck XattrCheck(List<(FileEntry Expected, FileEntry Restored)> pairs)
    {
        var root = Accounts.CanChown();
        bool Settable(Xattr x) => root || x.Name.StartsWith("user.", StringComparison.Ordinal) || x.Name.StartsWith("system.posix_acl", StringComparison.Ordinal);
        var withXattrs = pairs.Where(p => p.Expected.Xattrs?.Any(Settable) == true).ToList();
        if (withXattrs.Count > 0 && !SupportsUserXattrs())
            return new DrillCheck("extended attributes (not compared: the temporary directory's file system takes no user.* attributes; set TMPDIR to one that does)",
                $"{withXattrs.Count} paths with xattrs", "not compared", true);
        var check = Compare("extended attributes" + (root ? "" : " (user.* and ACLs: trusted.* and security.* need root)"), withXattrs, (e, r) =>
        {
            var want = e.Xattrs!.Where(Settable).ToList();
            var have = r.Xattrs?.Where(Settable).ToList() ?? [];
            var differs = want.Count != have.Count || want.Zip(have).Any(p => p.First.Name != p.Second.Name || !p.First.Value.AsSpan().SequenceEqual(p.Second.Value));
            return differs ? $"xattrs {string.Join(",", want.Select(x => x.Name))} restored as {string.Join(",", have.Select(x => x.Name))}" : null;
        });
        return check;
    }

    /// <summary>Probed on the drill's own folder around the destination (same file system), so the restored tree is left as restored.</summary>
    private bool SupportsUserXattrs() =>
        Xattrs.Set(FsName.ToCString(Path.GetDirectoryName(destination)!), new Xattr("user.psbackup-drill-probe", [1])) != LibC.EOPNOTSUPP;

    /// <summary>The destination folder itself gets the recorded root's mode and mtime.</summary>
    private DrillCheck RootCheck(FileIndexHeader header)
    {
        if (!FileStatus.TryGet(FsName.ToCString(destination), out var status, out var errno))
            return new DrillCheck("root directory", "mode and mtime as recorded", $"unreadable ({NativeError.Describe(errno)})", false);
        var mode = TreeScanner.ModeText(status.Permissions);
        var mtime = status.Mtime.ToDateTime();
        var differs = header.RootMode != null && header.RootMode != mode ? $"mode {header.RootMode} restored as {mode}"
            : mtime != header.RootMtime ? $"mtime {FileIndex.FormatTime(header.RootMtime)} restored as {FileIndex.FormatTime(mtime)}" : null;
        return new DrillCheck("root directory", $"mode {header.RootMode ?? "(not recorded)"}, mtime {FileIndex.FormatTime(header.RootMtime)}", differs ?? "identical", differs == null);
    }

    /// <summary>Every file read back from disk: the SHA-256 of its stored bytes (its data extents when sparse) against the index, in parallel.</summary>
    private async Task<DrillCheck> ContentCheckAsync(List<(FileEntry Expected, FileEntry Restored)> pairs, CancellationToken ct)
    {
        var files = pairs.Where(p => p.Expected.Type == FileEntryType.File && p.Restored.Type == FileEntryType.File).Select(p => p.Expected).ToList();
        var differing = new List<string>();
        var root = FsName.ToBytes(destination);
        await Workers.RunAsync(files.OrderByDescending(f => f.Size), Math.Max(1, context.ThrottleLimit), (file, token) =>
        {
            var problem = HashProblem(root, file, token);
            if (problem != null) lock (differing) differing.Add($"'{FsName.Display(file.Path)}' ({problem})");
            return Task.CompletedTask;
        }, ct).ConfigureAwait(false);
        differing.Sort(StringComparer.Ordinal);
        var bytes = files.Sum(f => f.StoredLength);
        return new DrillCheck($"contents (SHA-256 of every file read back)", $"{files.Count} files, {bytes} bytes as indexed",
            differing.Count == 0 ? $"{files.Count} identical" : $"{differing.Count} differ: {string.Join(", ", differing.Take(Shown))}{(differing.Count > Shown ? ", …" : "")}",
            differing.Count == 0);
    }

    private static string? HashProblem(byte[] root, FileEntry entry, CancellationToken ct)
    {
        using var file = NativeFile.TryOpenRead([.. root, (byte)'/', .. FsName.ToBytes(entry.Path), 0], out var errno);
        if (file == null) return $"cannot be opened: {NativeError.Describe(errno)}";
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        // A pooled buffer: a new 128 KiB array per file is a large-object allocation (1.3 GB of them for 10,000 files).
        var buffer = ArrayPool<byte>.Shared.Rent(ReadSize);
        try
        {
            var extents = entry.Extents ?? [0, entry.Size];
            for (var i = 0; i < extents.Length; i += 2)
            {
                for (long done = 0; done < extents[i + 1];)
                {
                    ct.ThrowIfCancellationRequested();
                    var n = RandomAccess.Read(file, buffer.AsSpan(0, (int)Math.Min(ReadSize, extents[i + 1] - done)), extents[i] + done);
                    if (n == 0) return "shorter than indexed";
                    hash.AppendData(buffer, 0, n);
                    done += n;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        var sha = Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
        return sha == entry.Sha256 ? null : "content differs";
    }

    private const int ReadSize = 1 << 17;

    private static DrillCheck Compare(string name, List<(FileEntry Expected, FileEntry Restored)> pairs, Func<FileEntry, FileEntry, string?> difference)
    {
        var differing = pairs.Select(p => (p.Expected.Path, Problem: difference(p.Expected, p.Restored))).Where(x => x.Problem != null).ToList();
        return new DrillCheck(name, $"{pairs.Count} paths as recorded", differing.Count == 0
                ? $"{pairs.Count} identical"
                : $"{differing.Count} differ: {string.Join(", ", differing.Take(Shown).Select(d => $"'{FsName.Display(d.Path)}' ({d.Problem})"))}{(differing.Count > Shown ? ", …" : "")}",
            differing.Count == 0);
    }

    private static string Examples(List<string> paths) =>
        paths.Count == 0 ? "" : $" ({string.Join(", ", paths.Take(Shown).Select(p => $"'{FsName.Display(p)}'"))}{(paths.Count > Shown ? ", …" : "")})";

    private static string Type(FileEntryType type) => type.ToString().ToLowerInvariant();
}
