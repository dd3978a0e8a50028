using System.Runtime.CompilerServices;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Storage;

namespace PsBackup.Engine.Repository;

/// <summary>
/// Reads and writes a repository's documents (config, collection definitions, manifests) over
/// an <see cref="IObjectStore"/>. Checks every document's format version before acting on it.
/// </summary>
public sealed class BackupRepository
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
    public async Task<List<BackupManifest>> ListBackupsAsync(string collection, CancellationToken ct)
    {
        var manifests = new List<BackupManifest>();
        await foreach (var id in ListBackupFoldersAsync(collection, committedOnly: true, ct).ConfigureAwait(false))
            manifests.Add(await ReadManifestAsync(collection, id, ct).ConfigureAwait(false));
        manifests.Sort((a, b) => a.StartTime != b.StartTime ? a.StartTime.CompareTo(b.StartTime) : string.CompareOrdinal(a.Id, b.Id));
        return manifests;
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

    /// <summary>
    /// Deletes backup folders that never got a manifest (a writer died or was cancelled). Only
    /// safe while holding the collection's lock: then no other writer can be filling one.
    /// </summary>
    internal async Task<int> DeleteUnfinishedAsync(string collection, CancellationToken ct)
    {
        var unfinished = new List<string>();
        await foreach (var id in ListBackupFoldersAsync(collection, committedOnly: false, ct).ConfigureAwait(false))
            unfinished.Add(id);
        var committed = new HashSet<string>();
        await foreach (var id in ListBackupFoldersAsync(collection, committedOnly: true, ct).ConfigureAwait(false))
            committed.Add(id);
        var removed = 0;
        foreach (var id in unfinished.Where(id => !committed.Contains(id)))
        {
            await Store.DeletePrefixAsync(RepositoryKeys.Backup(collection, id), ct).ConfigureAwait(false);
            removed++;
        }
        return removed;
    }

    private async IAsyncEnumerable<string> ListBackupFoldersAsync(string collection, bool committedOnly, [EnumeratorCancellation] CancellationToken ct)
    {
        var prefix = RepositoryKeys.Backups(collection);
        string? last = null;
        await foreach (var entry in Store.ListAsync(prefix, ct).ConfigureAwait(false))
        {
            var rest = entry.Key[prefix.Length..];
            var slash = rest.IndexOf('/');
            if (slash <= 0) continue;
            var id = rest[..slash];
            if (!BackupId.IsValid(id)) continue;
            if (committedOnly ? rest[(slash + 1)..] != RepositoryKeys.ManifestName : id == last) continue;
            last = id;
            yield return id;
        }
    }
}
