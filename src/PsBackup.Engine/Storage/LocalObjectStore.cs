using System.IO.Enumeration;
using System.Runtime.CompilerServices;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Storage;

/// <summary>
/// A repository in a local directory. Writes go to a temporary sibling and are renamed into
/// place on commit (rename is atomic on POSIX file systems), so readers see whole objects only.
/// </summary>
public sealed class LocalObjectStore : IObjectStore
{
    internal const string TempMarker = ".tmp-";
    private readonly string _root;

    /// <summary>Holds no connections.</summary>
    public void Dispose() { }

    public LocalObjectStore(string root)
    {
        _root = System.IO.Path.GetFullPath(root);
    }

    public string Location => _root;

    public Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            Stream stream = new FileStream(PathOf(key), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete,
                bufferSize: 1, FileOptions.SequentialScan);
            return Task.FromResult(stream);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ObjectNotFoundException(key);
        }
    }

    public Task<ObjectWriteStream> OpenWriteAsync(string key, CancellationToken cancellationToken)
    {
        var final = PathOf(key);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(final)!);
        return Task.FromResult<ObjectWriteStream>(new LocalWriteStream(key, final));
    }

    public async Task<bool> TryCreateAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var final = PathOf(key);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(final)!);
        var temp = final + TempMarker + Guid.NewGuid().ToString("N");
        await File.WriteAllBytesAsync(temp, content.ToArray(), cancellationToken).ConfigureAwait(false);
        if (NoReplaceRename.TryMove(temp, final)) return true;
        File.Delete(temp);
        return false;
    }

    public Task<ObjectEntry?> StatAsync(string key, CancellationToken cancellationToken)
    {
        var info = new FileInfo(PathOf(key));
        return Task.FromResult(info.Exists ? new ObjectEntry(key, info.Length, info.LastWriteTimeUtc) : null);
    }

    public async IAsyncEnumerable<ObjectEntry> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Enumerate the deepest directory the prefix names, then filter by the full prefix.
        ObjectKey.ValidatePrefix(prefix);
        var slash = prefix.LastIndexOf('/');
        var directory = slash < 0 ? _root : PathOf(prefix[..slash]);
        if (!Directory.Exists(directory))
            yield break;
        var entries = new List<ObjectEntry>();
        foreach (var file in new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories))
        {
            var key = System.IO.Path.GetRelativePath(_root, file.FullName).Replace('\\', '/');
            if (key.StartsWith(prefix, StringComparison.Ordinal))
                entries.Add(new ObjectEntry(key, file.Length, file.LastWriteTimeUtc));
        }
        entries.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        foreach (var entry in entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return entry;
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        File.Delete(path);
        // Prune directories emptied by the delete so removed backups leave no empty folders.
        for (var dir = System.IO.Path.GetDirectoryName(path);
             dir != null && dir.Length > _root.Length && Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any();
             dir = System.IO.Path.GetDirectoryName(dir))
        {
            try { Directory.Delete(dir); } catch (IOException) { break; }
        }
        return Task.CompletedTask;
    }

    /// <summary>Sub-directories by name (one directory read); an empty one left by a killed writer is listed too (readers check for a manifest).</summary>
    public Task<List<string>> ListFoldersHoldingAsync(string prefix, string name, CancellationToken cancellationToken)
    {
        // One directory listing and one existence check per folder, never a listing of the folders' contents.
        var directory = PathOf(ObjectKey.ValidatePrefix(prefix).TrimEnd('/'));
        var names = new List<string>();
        if (Directory.Exists(directory))
            foreach (var folder in Directory.EnumerateDirectories(directory))
                if (File.Exists(System.IO.Path.Join(folder, name)))
                    names.Add(System.IO.Path.GetFileName(folder));
        names.Sort(StringComparer.Ordinal);
        return Task.FromResult(names);
    }

    /// <summary>File names of one directory as its entries give them (no stat per file); temporary objects too, which callers' name patterns skip.</summary>
    public Task<List<string>> ListNamesAsync(string prefix, CancellationToken cancellationToken) =>
        Task.FromResult(ReadNames(prefix, directories: false));

    /// <summary>Sub-directory names as the directory's entries give them (no stat per folder).</summary>
    public Task<List<string>?> ListFolderNamesAsync(string prefix, CancellationToken cancellationToken) =>
        Task.FromResult<List<string>?>(ReadNames(prefix, directories: true));

    private List<string> ReadNames(string prefix, bool directories)
    {
        var directory = PathOf(ObjectKey.ValidatePrefix(prefix).TrimEnd('/'));
        var names = new List<string>();
        if (!Directory.Exists(directory))
            return names;
        // The entry's type comes with the directory read on Linux file systems; no full paths are built.
        var entries = new FileSystemEnumerable<string>(directory, (ref FileSystemEntry entry) => entry.FileName.ToString(),
            new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = false, RecurseSubdirectories = false })
        {
            ShouldIncludePredicate = (ref FileSystemEntry entry) => entry.IsDirectory == directories,
        };
        names.AddRange(entries);
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    public async IAsyncEnumerable<ObjectEntry> ListEmptyFoldersAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var directory = PathOf(ObjectKey.ValidatePrefix(prefix).TrimEnd('/'));
        if (!Directory.Exists(directory))
            yield break;
        foreach (var folder in new DirectoryInfo(directory).EnumerateDirectories().OrderBy(d => d.Name, StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!folder.EnumerateFiles("*", SearchOption.AllDirectories).Any())
                yield return new ObjectEntry(prefix + folder.Name + "/", 0, folder.LastWriteTimeUtc);
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    public Task<IReadOnlyList<string>> DeleteEmptyFoldersAsync(string prefix, CancellationToken cancellationToken)
    {
        var top = PathOf(ObjectKey.ValidatePrefix(prefix).TrimEnd('/'));
        var removed = new List<string>();
        if (Directory.Exists(top))
            DeleteIfEmpty(new DirectoryInfo(top), removed, cancellationToken);
        return Task.FromResult<IReadOnlyList<string>>(removed);
    }

    /// <summary>Deletes the empty folders below and including <paramref name="dir"/>, deepest first; true when <paramref name="dir"/> went.</summary>
    private bool DeleteIfEmpty(DirectoryInfo dir, List<string> removed, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var empty = true;
        foreach (var entry in dir.EnumerateFileSystemInfos())
            empty &= entry is DirectoryInfo { LinkTarget: null } child && DeleteIfEmpty(child, removed, ct);
        if (!empty || dir.FullName.Length <= _root.Length) return false;
        try
        {
            dir.Delete();
        }
        catch (IOException)
        {
            return false; // a writer put something in it meanwhile
        }
        removed.Add(System.IO.Path.GetRelativePath(_root, dir.FullName).Replace('\\', '/') + "/");
        return true;
    }

    private string PathOf(string key) => System.IO.Path.Combine(_root, ObjectKey.Validate(key));

    private sealed class LocalWriteStream(string key, string finalPath) : ObjectWriteStream
    {
        private readonly string _tempPath = finalPath + TempMarker + Guid.NewGuid().ToString("N");
        private FileStream? _file;
        private bool _committed;

        private FileStream File => _file ??= new FileStream(_tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);

        public override string Key => key;

        public override void Write(byte[] buffer, int offset, int count) => File.Write(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => File.Write(buffer);
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) => File.WriteAsync(buffer, offset, count, ct);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) => File.WriteAsync(buffer, ct);
        public override void Flush() => _file?.Flush();

        public override async Task CommitAsync(CancellationToken cancellationToken)
        {
            var file = File;
            await file.FlushAsync(cancellationToken).ConfigureAwait(false);
            file.Flush(flushToDisk: true); // durable before it becomes visible
            await file.DisposeAsync().ConfigureAwait(false);
            System.IO.File.Move(_tempPath, finalPath, overwrite: true);
            _committed = true;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _file?.Dispose();
                if (!_committed)
                    System.IO.File.Delete(_tempPath);
            }
            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            if (_file != null)
                await _file.DisposeAsync().ConfigureAwait(false);
            await base.DisposeAsync().ConfigureAwait(false); // Stream's: Dispose(true), no finalizer
        }
    }
}
