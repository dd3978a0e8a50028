namespace PsBackup.Engine.Storage;

/// <summary>
/// Where a repository's objects live: a local directory now, an S3 prefix later. Keys are
/// '/'-separated paths relative to the repository root. Everything the repository needs is
/// here and nothing more, so every store offers the same guarantees. Disposing a store releases
/// its connections; operations own the store they open.
/// </summary>
public interface IObjectStore : IDisposable
{
    /// <summary>Human-readable location (a path or URI), for messages.</summary>
    string Location { get; }

    /// <summary>Opens an object for streaming reads. Throws <see cref="Errors.ObjectNotFoundException"/>.</summary>
    Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken);

    /// <summary>Starts a streaming write that is published atomically on commit.</summary>
    Task<ObjectWriteStream> OpenWriteAsync(string key, CancellationToken cancellationToken);

    /// <summary>A write of a data object with the collection's storage settings; stores without such settings ignore them.</summary>
    Task<ObjectWriteStream> OpenWriteAsync(string key, ObjectWriteSettings? settings, CancellationToken cancellationToken) =>
        OpenWriteAsync(key, cancellationToken);

    /// <summary>Writes a small object only if no object has the key; false when one exists.</summary>
    Task<bool> TryCreateAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    /// <summary>Metadata of one object, or null when absent.</summary>
    Task<ObjectEntry?> StatAsync(string key, CancellationToken cancellationToken);

    /// <summary>Every object whose key starts with <paramref name="prefix"/>, in ordinal key order.</summary>
    IAsyncEnumerable<ObjectEntry> ListAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>Deletes an object; deleting an absent object is not an error.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// Names of the folders directly below <paramref name="prefix"/> (a key ending in '/') that
    /// directly hold an object named <paramref name="name"/>, in ordinal order, without listing
    /// their other objects (the metrics count committed backups, those with a manifest, this way).
    /// By default derived from one full listing (one request per 1,000 keys on S3); a store with
    /// folders lists them and checks each for the object.
    /// </summary>
    async Task<List<string>> ListFoldersHoldingAsync(string prefix, string name, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await foreach (var entry in ListAsync(prefix, cancellationToken).ConfigureAwait(false))
            if (entry.Key.IndexOf('/', prefix.Length) is var slash and > 0 && entry.Key.AsSpan(slash + 1).SequenceEqual(name))
                names.Add(entry.Key[prefix.Length..slash]);
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <summary>
    /// Names of the objects directly in the folder <paramref name="prefix"/> (a key ending in '/'),
    /// in ordinal order, without their sizes (the run journal's counters need its names only). By
    /// default derived from <see cref="ListAsync"/>; a store with folders reads the one directory.
    /// </summary>
    async Task<List<string>> ListNamesAsync(string prefix, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await foreach (var entry in ListAsync(prefix, cancellationToken).ConfigureAwait(false))
            if (entry.Key.IndexOf('/', prefix.Length) < 0)
                names.Add(entry.Key[prefix.Length..]);
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <summary>
    /// Names of the folders directly below <paramref name="prefix"/> (a key ending in '/'), in
    /// ordinal order, from one read of the directory (names only, nothing inside them is looked at),
    /// empty ones included; null for a store without folders (S3: a folder is only a key prefix,
    /// and its objects' listing is what shows it).
    /// </summary>
    Task<List<string>?> ListFolderNamesAsync(string prefix, CancellationToken cancellationToken) => Task.FromResult<List<string>?>(null);

    /// <summary>
    /// Folders directly below <paramref name="prefix"/> that hold no object (a writer killed between
    /// creating a folder and its first object leaves one on a disk), as entries of size 0 whose key
    /// ends with '/'. Stores without folders (S3) have none.
    /// </summary>
    IAsyncEnumerable<ObjectEntry> ListEmptyFoldersAsync(string prefix, CancellationToken cancellationToken) => ObjectStoreExtensions.NoEntries();

    /// <summary>
    /// Removes the folders below <paramref name="prefix"/> (a key ending in '/') that hold no
    /// object, which a listing of objects never shows (a writer stopped before its first byte
    /// leaves one). Returns their keys, deepest first. Stores without folders (S3) have none.
    /// </summary>
    Task<IReadOnlyList<string>> DeleteEmptyFoldersAsync(string prefix, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>([]);
}
