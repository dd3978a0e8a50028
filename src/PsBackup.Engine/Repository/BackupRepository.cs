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
    public string Location => Store.Location;

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
            await store.TryCreateAsync(RepositoryKeys.Config, Json.ToBytes(new RepositoryConfig()), ct).ConfigureAwait(false);
        byte[] bytes;
        try
        {
            bytes = await store.ReadAllBytesAsync(RepositoryKeys.Config, ct).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            throw new RepositoryNotFoundException(store.Location);
        }
        var config = Json.FromBytes<RepositoryConfig>(bytes, $"Repository config at '{store.Location}'");
        FormatVersion.Check("Repository", config.Format, RepositoryConfig.FormatName, config.Version, FormatVersion.Repository, store.Location);
        return new BackupRepository(store, config);
    }

    public async Task<CollectionDefinition?> TryGetCollectionAsync(string name, CancellationToken ct)
    {
        byte[] bytes;
        try
        {
            bytes = await Store.ReadAllBytesAsync(RepositoryKeys.Definition(name), ct).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            return null;
        }
        var definition = Json.FromBytes<CollectionDefinition>(bytes, $"Collection '{name}'");
        FormatVersion.Check($"Collection '{name}'", definition.Format, CollectionDefinition.FormatName, definition.Version, FormatVersion.Collection, Location);
        return definition;
    }

    public async Task<CollectionDefinition> GetCollectionAsync(string name, CancellationToken ct) =>
        await TryGetCollectionAsync(name, ct).ConfigureAwait(false) ?? throw new CollectionNotFoundException(name, Location) { TargetObject = name };

    public async IAsyncEnumerable<CollectionDefinition> ListCollectionsAsync([EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var entry in Store.ListAsync(RepositoryKeys.CollectionsPrefix, ct).ConfigureAwait(false))
        {
            var parts = entry.Key.Split('/');
            if (parts.Length == 3 && parts[2] == "collection.json")
                yield return await GetCollectionAsync(parts[1], ct).ConfigureAwait(false);
        }
    }

    /// <summary>collection.json as a JSON tree, dates and all values as written (for patching without losing fields).</summary>
    internal async Task<Newtonsoft.Json.Linq.JObject> ReadCollectionDocumentAsync(string name, CancellationToken ct)
    {
        var bytes = await Store.ReadAllBytesAsync(RepositoryKeys.Definition(name), ct).ConfigureAwait(false);
        using var reader = new Newtonsoft.Json.JsonTextReader(new StreamReader(new MemoryStream(bytes))) { DateParseHandling = Newtonsoft.Json.DateParseHandling.None };
        return Newtonsoft.Json.Linq.JObject.Load(reader);
    }

    /// <summary>Replaces collection.json (atomically). Callers hold the collection's lock.</summary>
    internal Task WriteCollectionDocumentAsync(string name, Newtonsoft.Json.Linq.JObject document, CancellationToken ct) =>
        Store.PutAsync(RepositoryKeys.Definition(name), Json.ToBytes(document), ct);

    /// <summary>Creates the definition only if the name is free; false when a collection of that name exists.</summary>
    public Task<bool> TryCreateCollectionAsync(CollectionDefinition definition, CancellationToken ct) =>
        Store.TryCreateAsync(RepositoryKeys.Definition(definition.Name), Json.ToBytes(definition), ct);

    /// <summary>
    /// Removes every backup (manifests first, so none is ever half-visible), then the definition.
    /// Interrupted, the collection is still listed and the removal can simply be run again.
    /// </summary>
    public async Task DeleteCollectionAsync(string name, CancellationToken ct)
    {
        await foreach (var entry in Store.ListAsync(RepositoryKeys.Backups(name), ct).ConfigureAwait(false))
            if (entry.Key.EndsWith("/" + RepositoryKeys.ManifestName, StringComparison.Ordinal))
                await Store.DeleteAsync(entry.Key, ct).ConfigureAwait(false);
        await Store.DeletePrefixAsync(RepositoryKeys.Backups(name), ct).ConfigureAwait(false);
        await Store.DeleteAsync(RepositoryKeys.Definition(name), ct).ConfigureAwait(false);
    }

    /// <summary>Committed backups of a collection (those with a manifest), oldest first.</summary>
    public async Task<List<BackupManifest>> ListBackupsAsync(string collection, CancellationToken ct) =>
        [.. (await ListCommittedAsync(collection, withLabels: false, ct).ConfigureAwait(false)).Select(b => b.Manifest)];

    /// <summary>Committed backups, oldest first, with their labels (pinned, tags) when <paramref name="withLabels"/>.</summary>
    public async Task<List<CommittedBackup>> ListCommittedAsync(string collection, bool withLabels, CancellationToken ct)
    {
        var backups = new List<CommittedBackup>();
        foreach (var folder in await ScanBackupFoldersAsync(collection, ct).ConfigureAwait(false))
        {
            if (!folder.Committed) continue;
            var manifest = await ReadManifestAsync(collection, folder.Id, ct).ConfigureAwait(false);
            var labels = withLabels && folder.Labelled ? await ReadLabelsAsync(collection, folder.Id, ct).ConfigureAwait(false) : null;
            backups.Add(new CommittedBackup(manifest, labels ?? new BackupLabels(), folder.StoredBytes));
        }
        backups.Sort((a, b) => a.Manifest.StartTime != b.Manifest.StartTime
            ? a.Manifest.StartTime.CompareTo(b.Manifest.StartTime)
            : string.CompareOrdinal(a.Manifest.Id, b.Manifest.Id));
        return backups;
    }

    public async Task<BackupManifest> ReadManifestAsync(string collection, string id, CancellationToken ct)
    {
        byte[] bytes;
        try
        {
            bytes = await Store.ReadAllBytesAsync(RepositoryKeys.Manifest(collection, id), ct).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            throw new BackupNotFoundException($"Backup '{id}' of collection '{collection}' does not exist (or was never committed).") { TargetObject = id };
        }
        var manifest = Json.FromBytes<BackupManifest>(bytes, $"Manifest of backup '{id}'");
        FormatVersion.Check($"Manifest of backup '{id}'", manifest.Format, BackupManifest.FormatName, manifest.Version, FormatVersion.Manifest, Location);
        if (manifest.Id != id || manifest.Collection != collection)
            throw new IntegrityException($"Manifest at '{RepositoryKeys.Manifest(collection, id)}' describes backup '{manifest.Collection}/{manifest.Id}'.");
        return manifest;
    }

    /// <summary>The commit point of a backup: until this object exists, the backup does not.</summary>
    public Task CommitManifestAsync(BackupManifest manifest, CancellationToken ct) =>
        Store.PutAsync(RepositoryKeys.Manifest(manifest.Collection, manifest.Id), Json.ToBytes(manifest), ObjectWriteSettings.Manifest, ct);

    /// <summary>
    /// Deletes what a failed or cancelled writer left of an uncommitted backup. Best effort: the
    /// folder has no manifest, so it is invisible anyway, and the next writer removes leftovers.
    /// </summary>
    internal async Task DiscardUncommittedAsync(string collection, string id)
    {
        try
        {
            await Store.DeletePrefixAsync(RepositoryKeys.Backup(collection, id), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // see summary
        }
    }

    /// <summary>The labels of a backup; null when it has none.</summary>
    public async Task<BackupLabels?> ReadLabelsAsync(string collection, string id, CancellationToken ct)
    {
        byte[] bytes;
        try
        {
            bytes = await Store.ReadAllBytesAsync(RepositoryKeys.Labels(collection, id), ct).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            return null;
        }
        var labels = Json.FromBytes<BackupLabels>(bytes, $"Labels of backup '{id}'");
        FormatVersion.Check($"Labels of backup '{id}'", labels.Format, BackupLabels.FormatName, labels.Version, FormatVersion.Labels, Location);
        return labels;
    }

    /// <summary>Replaces a backup's labels (atomically). Callers hold the collection's lock and have checked the manifest exists.</summary>
    internal Task WriteLabelsAsync(string collection, string id, BackupLabels labels, CancellationToken ct) =>
        Store.PutAsync(RepositoryKeys.Labels(collection, id), Json.ToBytes(labels), ct);

    /// <summary>
    /// Deletes a committed backup: the manifest first, so from that moment the backup is
    /// unfinished and invisible (an interruption leaves no half-deleted backup that looks
    /// whole), then its data. Only while holding the collection's lock.
    /// </summary>
    internal async Task DeleteBackupAsync(string collection, string id, CancellationToken ct)
    {
        await Store.DeleteAsync(RepositoryKeys.Manifest(collection, id), ct).ConfigureAwait(false);
        await Store.DeletePrefixAsync(RepositoryKeys.Backup(collection, id), ct).ConfigureAwait(false);
    }

    /// <summary>Folders without a manifest: backups that never finished, copies to resume, interrupted deletions.</summary>
    internal async Task<List<BackupFolder>> ListUnfinishedAsync(string collection, CancellationToken ct) =>
        [.. (await ScanBackupFoldersAsync(collection, ct).ConfigureAwait(false)).Where(f => !f.Committed)];

    /// <summary>Deletes an unfinished folder. Only while holding the collection's lock (then no writer is filling it).</summary>
    internal Task DeleteUnfinishedAsync(string collection, string id, CancellationToken ct) =>
        Store.DeletePrefixAsync(RepositoryKeys.Backup(collection, id), ct);

    /// <summary>
    /// Deletes backup folders that never got a manifest (a writer died or was cancelled), and
    /// the empty folders such a writer may leave (a target folder created before its first
    /// byte), which no listing of objects shows. Returns how many backup folders went. Only
    /// safe while holding the collection's lock: then no other writer can be filling one.
    /// </summary>
    internal async Task<int> DeleteUnfinishedAsync(string collection, CancellationToken ct)
    {
        var unfinished = await ListUnfinishedAsync(collection, ct).ConfigureAwait(false);
        foreach (var folder in unfinished)
            await DeleteUnfinishedAsync(collection, folder.Id, ct).ConfigureAwait(false);
        var backups = RepositoryKeys.Backups(collection);
        var empty = await Store.DeleteEmptyFoldersAsync(backups, ct).ConfigureAwait(false);
        return unfinished.Count + empty.Count(key => key.Length > backups.Length && key.IndexOf('/', backups.Length) == key.Length - 1
            && unfinished.All(f => f.Id != key[backups.Length..^1]));
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
        return folders;
    }
}

/// <summary>A committed backup with its labels and the bytes its folder holds.</summary>
public sealed record CommittedBackup(BackupManifest Manifest, BackupLabels Labels, long StoredBytes);

/// <summary>One backups/&lt;id&gt;/ folder as a listing shows it.</summary>
internal sealed class BackupFolder(string id)
{
    public string Id { get; } = id;
    public bool Committed { get; set; }
    public bool Labelled { get; set; }
    public long StoredBytes { get; set; }
    public DateTimeOffset LastWritten { get; set; } = DateTimeOffset.MinValue;
}
