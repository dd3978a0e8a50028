using System.Runtime.CompilerServices;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Storage;

namespace PsBackup.Engine.Repository;

/// <summary>
/// Reads and writes a repository's documents (config, collection definitions, manifests) over
/// an <see cref="IObjectStore"/>. Checks every document's format version before acting on it.
/// </summary>
public sealed class BackupRepository : IDisposable
{
    private BackupRepository(IObjectStore store, RepositoryConfig config)
    {
        Store = store;
        Config = config;
    }

    public IObjectStore Store { get; }
    public RepositoryConfig Config { get; }
    /// <summary>The store's location for messages and output objects, credentials masked.</summary>
    public string Location => SecretMasker.Hide(Store.Location);

    /// <summary>Opens an existing repository; with <paramref name="create"/>, initialises an empty location first.</summary>
    public static async Task<BackupRepository> OpenAsync(IObjectStore store, bool create, CancellationToken ct)
    {
        try
        {
            return await OpenOrThrowAsync(store, create, ct).ConfigureAwait(false);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>Releases the store's connections (S3 clients).</summary>
    public void Dispose() => Store.Dispose();

    private static async Task<BackupRepository> OpenOrThrowAsync(IObjectStore store, bool create, CancellationToken ct)
    {
        if (create)
            await store.TryCreateAsync(RepositoryKeys.Config, RepositoryDocuments.ToBytes(new RepositoryConfig(), DocumentType.Repository), ct).ConfigureAwait(false);
        byte[] bytes;
        try
        {
            bytes = await RepositoryDocuments.ReadBytesAsync(store, RepositoryKeys.Config, ct).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            throw new RepositoryNotFoundException(store.Location);
        }
        var config = RepositoryDocuments.Read<RepositoryConfig>(bytes, DocumentType.Repository, "Repository config", $"{store.Location}/{RepositoryKeys.Config}").Value;
        if (config.Id is not { Length: 32 } || !config.Id.All(char.IsAsciiHexDigit))
            throw new DocumentCorruptException($"Repository config at '{store.Location}' has no valid id (32 hex digits).");
        return new BackupRepository(store, config);
    }

    public async Task<CollectionDefinition?> TryGetCollectionAsync(string name, CancellationToken ct) =>
        (await TryReadCollectionAsync(name, ct).ConfigureAwait(false))?.Value;

    /// <summary>collection.json checked (version, digest, content) and its JSON tree as written; null when absent.</summary>
    private async Task<ReadDocument<CollectionDefinition>?> TryReadCollectionAsync(string name, CancellationToken ct)
    {
        var key = RepositoryKeys.Definition(name);
        byte[] bytes;
        try
        {
            bytes = await RepositoryDocuments.ReadBytesAsync(Store, key, ct).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            return null;
        }
        var document = RepositoryDocuments.Read<CollectionDefinition>(bytes, DocumentType.Collection, $"Collection '{name}'", $"{Location}/{key}");
        CollectionValidator.Validate(document.Value, name, $"{Location}/{key}");
        return document;
    }

    public async Task<CollectionDefinition> GetCollectionAsync(string name, CancellationToken ct) =>
        await TryGetCollectionAsync(name, ct).ConfigureAwait(false) ?? throw new CollectionNotFoundException(name, Location) { TargetObject = name };

    public async IAsyncEnumerable<CollectionDefinition> ListCollectionsAsync([EnumeratorCancellation] CancellationToken ct)
    {
        // The folders holding a definition, without listing the backups inside them (on a disk).
        foreach (var name in await Store.ListFoldersHoldingAsync(RepositoryKeys.CollectionsPrefix, RepositoryKeys.DefinitionName, ct).ConfigureAwait(false))
        {
            // A folder that is not a valid collection name was not made by PsBackup: not a collection.
            if (Names.IsValid(name))
                yield return await GetCollectionAsync(name, ct).ConfigureAwait(false);
        }
    }

    /// <summary>collection.json as a JSON tree, dates and all values as written (for patching without losing fields).</summary>
    internal async Task<Newtonsoft.Json.Linq.JObject> ReadCollectionDocumentAsync(string name, CancellationToken ct) =>
        (await TryReadCollectionAsync(name, ct).ConfigureAwait(false))?.Json ?? throw new CollectionNotFoundException(name, Location) { TargetObject = name };

    /// <summary>Replaces collection.json (atomically), sealed with the current version and a new digest. Callers hold the collection's lock.</summary>
    internal Task WriteCollectionDocumentAsync(string name, Newtonsoft.Json.Linq.JObject document, CancellationToken ct) =>
        Store.PutAsync(RepositoryKeys.Definition(name), RepositoryDocuments.Seal(document, DocumentType.Collection), ct);

    /// <summary>Creates the definition only if the name is free; false when a collection of that name exists.</summary>
    public Task<bool> TryCreateCollectionAsync(CollectionDefinition definition, CancellationToken ct) =>
        Store.TryCreateAsync(RepositoryKeys.Definition(definition.Name), RepositoryDocuments.ToBytes(definition, DocumentType.Collection), ct);

    /// <summary>
    /// Removes every backup (manifests first, so none is ever half-visible), then the definition.
    /// Interrupted, the collection is still listed and the removal can simply be run again.
    /// </summary>
    public async Task DeleteCollectionAsync(string name, CancellationToken ct)
    {
        await Store.DeleteAsync(RepositoryKeys.CommittedIndex(name), ct).ConfigureAwait(false); // a hint about backups about to go
        await foreach (var entry in Store.ListAsync(RepositoryKeys.Backups(name), ct).ConfigureAwait(false))
            if (entry.Key.EndsWith("/" + RepositoryKeys.ManifestName, StringComparison.Ordinal))
                await Store.DeleteAsync(entry.Key, ct).ConfigureAwait(false);
        await Store.DeletePrefixAsync(RepositoryKeys.Backups(name), ct).ConfigureAwait(false);
        await Store.DeletePrefixAsync(RepositoryKeys.Drills(name), ct).ConfigureAwait(false); // the drills' evidence goes with its backups
        await Store.DeletePrefixAsync(RepositoryKeys.Runs(name), ct).ConfigureAwait(false); // and the run journal with its totals
        await Store.DeletePrefixAsync(RepositoryKeys.RunTotals(name), ct).ConfigureAwait(false);
        await Store.DeleteAsync(RepositoryKeys.Definition(name), ct).ConfigureAwait(false);
    }

    /// <summary>Ids of the committed backups, in ordinal order, without reading their manifests (<see cref="CommittedIndex"/>).</summary>
    internal Task<List<string>> ListCommittedIdsAsync(string collection, CancellationToken ct) => CommittedIndex.ListCommittedAsync(this, collection, ct);

    /// <summary>Committed backups of a collection (those with a manifest), oldest first.</summary>
    public async Task<List<BackupManifest>> ListBackupsAsync(string collection, CancellationToken ct) =>
        [.. (await ListCommittedAsync(collection, withLabels: false, ct).ConfigureAwait(false)).Select(b => b.Manifest)];

    /// <summary>
    /// Committed backups, oldest first, with their labels (pinned, tags) when <paramref name="withLabels"/>.
    /// Strict: a damaged manifest or labels document stops the listing (writers act on what they list).
    /// </summary>
    public async Task<List<CommittedBackup>> ListCommittedAsync(string collection, bool withLabels, CancellationToken ct)
    {
        var scan = await ScanCommittedAsync(collection, withLabels, ct).ConfigureAwait(false);
        if (scan.Damaged.Count > 0)
            throw scan.Damaged[0].Error;
        return scan.Backups;
    }

    /// <summary>Committed backups, oldest first, and apart from them the backups whose manifest (or labels) cannot be trusted.</summary>
    internal async Task<BackupScan> ScanCommittedAsync(string collection, bool withLabels, CancellationToken ct)
    {
        var backups = new List<CommittedBackup>();
        var damaged = new List<DamagedBackup>();
        foreach (var folder in await ScanBackupFoldersAsync(collection, ct).ConfigureAwait(false))
        {
            if (!folder.Committed) continue;
            BackupManifest? manifest = null;
            try
            {
                manifest = await ReadManifestAsync(collection, folder.Id, ct).ConfigureAwait(false);
                var labels = withLabels && folder.Labelled ? await ReadLabelsAsync(collection, folder.Id, ct).ConfigureAwait(false) : null;
                backups.Add(new CommittedBackup(manifest, labels ?? new BackupLabels(), folder.StoredBytes));
            }
            catch (DocumentCorruptException e)
            {
                damaged.Add(new DamagedBackup(folder.Id, collection, e, manifest, folder.StoredBytes));
            }
        }
        backups.Sort((a, b) => a.Manifest.StartTime != b.Manifest.StartTime
            ? a.Manifest.StartTime.CompareTo(b.Manifest.StartTime)
            : string.CompareOrdinal(a.Manifest.Id, b.Manifest.Id));
        return new BackupScan(backups, damaged);
    }

    /// <summary>A committed manifest, checked: version, digest, and everything a reader acts on (<see cref="ManifestValidator"/>).</summary>
    public async Task<BackupManifest> ReadManifestAsync(string collection, string id, CancellationToken ct)
    {
        var key = RepositoryKeys.Manifest(collection, id);
        byte[] bytes;
        try
        {
            bytes = await RepositoryDocuments.ReadBytesAsync(Store, key, ct).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            throw new BackupNotFoundException($"Backup '{id}' of collection '{collection}' does not exist (or was never committed).") { TargetObject = id };
        }
        var document = RepositoryDocuments.Read<BackupManifest>(bytes, DocumentType.Manifest, $"Manifest of backup '{id}'", $"{Location}/{key}");
        var manifest = document.Value;
        ManifestValidator.Validate(manifest, collection, id, $"{Location}/{key}");
        manifest.ContentHash = document.ContentHash;
        return manifest;
    }

    /// <summary>
    /// The commit point of a backup: until this object exists, the backup does not. With the
    /// collection's data key (encrypted collections) the manifest also gets its MAC.
    /// </summary>
    public async Task CommitManifestAsync(BackupManifest manifest, CancellationToken ct, byte[]? key = null)
    {
        // Complete by construction: what readers would refuse is never committed.
        ManifestValidator.Validate(manifest, manifest.Collection, manifest.Id, "(being committed)");
        await Store.PutAsync(RepositoryKeys.Manifest(manifest.Collection, manifest.Id),
            RepositoryDocuments.ToBytes(manifest, DocumentType.Manifest, key == null ? null : hash => Crypto.ManifestMac.Compute(key, hash)),
            ObjectWriteSettings.Manifest, ct).ConfigureAwait(false);
        await CommittedIndex.AddAsync(this, manifest.Collection, manifest.Id, ct).ConfigureAwait(false);
    }

    /// <summary>A manifest's stored bytes, checked like <see cref="ReadManifestAsync"/>: what Copy-Backup commits verbatim (digest and MAC intact).</summary>
    internal async Task<byte[]> ReadManifestBytesAsync(string collection, string id, CancellationToken ct)
    {
        var bytes = await RepositoryDocuments.ReadBytesAsync(Store, RepositoryKeys.Manifest(collection, id), ct).ConfigureAwait(false);
        var manifest = RepositoryDocuments.Read<BackupManifest>(bytes, DocumentType.Manifest, $"Manifest of backup '{id}'", Location).Value;
        ManifestValidator.Validate(manifest, collection, id, Location);
        return bytes;
    }

    /// <summary>Commits a manifest as stored elsewhere (Copy-Backup).</summary>
    internal async Task CommitManifestBytesAsync(string collection, string id, byte[] bytes, CancellationToken ct)
    {
        await Store.PutAsync(RepositoryKeys.Manifest(collection, id), bytes, ObjectWriteSettings.Manifest, ct).ConfigureAwait(false);
        await CommittedIndex.AddAsync(this, collection, id, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Deletes what a failed or cancelled writer left of an uncommitted backup. Best effort: the
    /// folder has no manifest, so it is invisible anyway, and the next writer removes leftovers.
    /// </summary>
    internal async Task DiscardUncommittedAsync(string collection, string id)
    {
        try
        {
            await DeleteUnfinishedAsync(collection, id, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // see summary
        }
    }

    /// <summary>The labels of a backup; null when it has none.</summary>
    public async Task<BackupLabels?> ReadLabelsAsync(string collection, string id, CancellationToken ct)
    {
        var key = RepositoryKeys.Labels(collection, id);
        byte[] bytes;
        try
        {
            bytes = await RepositoryDocuments.ReadBytesAsync(Store, key, ct).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            return null;
        }
        var labels = RepositoryDocuments.Read<BackupLabels>(bytes, DocumentType.Labels, $"Labels of backup '{id}'", $"{Location}/{key}").Value;
        if (labels.Tags == null || !labels.Tags.All(BackupLabels.IsValidTag))
            throw new DocumentCorruptException($"Labels of backup '{id}' at '{Location}/{key}' are not valid: a tag is missing or malformed. They are not trusted.") { TargetObject = id };
        return labels;
    }

    /// <summary>Replaces a backup's labels (atomically). Callers hold the collection's lock and have checked the manifest exists.</summary>
    internal Task WriteLabelsAsync(string collection, string id, BackupLabels labels, CancellationToken ct) =>
        Store.PutAsync(RepositoryKeys.Labels(collection, id), RepositoryDocuments.ToBytes(labels, DocumentType.Labels), ct);

    /// <summary>
    /// Deletes a committed backup: the manifest first, so from that moment the backup is
    /// unfinished and invisible (an interruption leaves no half-deleted backup that looks
    /// whole), then its data. Only while holding the collection's lock.
    /// </summary>
    internal async Task DeleteBackupAsync(string collection, string id, CancellationToken ct)
    {
        await CommittedIndex.RemoveAsync(this, collection, id, ct).ConfigureAwait(false); // first: the index never names a folder without a manifest
        await Store.DeleteAsync(RepositoryKeys.Manifest(collection, id), ct).ConfigureAwait(false);
        await Store.DeletePrefixAsync(RepositoryKeys.Backup(collection, id), ct).ConfigureAwait(false);
    }

    /// <summary>Folders without a manifest: backups that never finished, copies to resume, interrupted deletions.</summary>
    internal async Task<List<BackupFolder>> ListUnfinishedAsync(string collection, CancellationToken ct) =>
        [.. (await ScanBackupFoldersAsync(collection, ct).ConfigureAwait(false)).Where(f => !f.Committed)];

    /// <summary>Deletes an unfinished folder. Only while holding the collection's lock (then no writer is filling it).</summary>
    internal async Task DeleteUnfinishedAsync(string collection, string id, CancellationToken ct)
    {
        await Store.DeletePrefixAsync(RepositoryKeys.Backup(collection, id), ct).ConfigureAwait(false); // with the folders left empty
    }

    /// <summary>
    /// Deletes backup folders that never got a manifest (a writer died or was cancelled), and
    /// the empty folders such a writer may leave (a target folder created before its first
    /// byte), which no listing of objects shows. Returns how many backup folders went. Only
    /// safe while holding the collection's lock, with <paramref name="folders"/> listed under it:
    /// then no other writer can be filling one.
    /// </summary>
    internal async Task<int> DeleteUnfinishedAsync(string collection, IEnumerable<BackupFolder> folders, CancellationToken ct)
    {
        var unfinished = folders.Where(f => !f.Committed).ToList();
        foreach (var folder in unfinished)
            await DeleteUnfinishedAsync(collection, folder.Id, ct).ConfigureAwait(false);
        // Empty folders left inside committed backups too (a target folder created before its first byte).
        await Store.DeleteEmptyFoldersAsync(RepositoryKeys.Backups(collection), ct).ConfigureAwait(false);
        return unfinished.Count; // backup folders without any object are listed as unfinished too
    }

    /// <summary>Every backup folder of a collection, from one listing: committed or not, labelled, newest write, stored bytes.</summary>
    internal async Task<List<BackupFolder>> ScanBackupFoldersAsync(string collection, CancellationToken ct)
    {
        var prefix = RepositoryKeys.Backups(collection);
        var folders = new List<BackupFolder>();
        BackupFolder? current = null;
        await foreach (var entry in Store.ListAsync(prefix, ct).ConfigureAwait(false))
        {
            var rest = entry.Key[prefix.Length..];
            var slash = rest.IndexOf('/');
            if (slash <= 0) continue;
            var id = rest[..slash];
            if (!BackupId.IsValid(id)) continue;
            if (current?.Id != id)
            {
                current = new BackupFolder(id);
                folders.Add(current);
            }
            var name = rest[(slash + 1)..];
            current.Committed |= name == RepositoryKeys.ManifestName;
            current.Labelled |= name == RepositoryKeys.LabelsName;
            current.StoredBytes += entry.Size;
            if (entry.LastModified > current.LastWritten) current.LastWritten = entry.LastModified;
        }
        // Folders without any object (a writer killed before its first one) are unfinished backups too.
        await foreach (var empty in Store.ListEmptyFoldersAsync(prefix, ct).ConfigureAwait(false))
        {
            var id = empty.Key[prefix.Length..].TrimEnd('/');
            if (BackupId.IsValid(id) && !folders.Exists(f => f.Id == id))
                folders.Add(new BackupFolder(id) { LastWritten = empty.LastModified });
        }
        folders.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        return folders;
    }
}

/// <summary>A committed backup with its labels and the bytes its folder holds.</summary>
public sealed record CommittedBackup(BackupManifest Manifest, BackupLabels Labels, long StoredBytes);

/// <summary>A committed backup whose manifest (or labels) failed its checks; <see cref="Manifest"/> is set when only the labels did.</summary>
internal sealed record DamagedBackup(string Id, string Collection, DocumentCorruptException Error, BackupManifest? Manifest, long StoredBytes);

/// <summary>What a listing of committed backups found: the trusted ones, oldest first, and the damaged ones.</summary>
internal sealed record BackupScan(List<CommittedBackup> Backups, List<DamagedBackup> Damaged);

/// <summary>One backups/&lt;id&gt;/ folder as a listing shows it.</summary>
internal sealed class BackupFolder(string id)
{
    public string Id { get; } = id;
    public bool Committed { get; set; }
    public bool Labelled { get; set; }
    public long StoredBytes { get; set; }
    public DateTimeOffset LastWritten { get; set; } = DateTimeOffset.MinValue;
}
