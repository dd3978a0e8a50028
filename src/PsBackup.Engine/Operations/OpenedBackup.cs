using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Operations;

/// <summary>A committed backup opened for reading: its collection, its chain (full first, itself last) and a reader for its artifacts.</summary>
internal sealed record OpenedBackup(BackupRepository Repository, CollectionDefinition Definition, List<BackupManifest> Chain, ArtifactReader Reader) : IDisposable
{
    public void Dispose() => Repository.Dispose();

    public BackupManifest Head => Chain[^1];

    /// <summary>
    /// Finds the collection when not given, resolves and checks the chain (missing parents, loops,
    /// MACs of encrypted collections) and unlocks the key: what restore and verify share.
    /// </summary>
    public static async Task<OpenedBackup> OpenAsync(RepositoryAddress? repositoryLocation, string? collection, string id, string? passphrase, CancellationToken ct)
    {
        BackupId.Validate(id);
        if (collection != null) Names.Validate(collection, "Collection");
        var repository = await CollectionAccess.OpenRepositoryAsync(repositoryLocation, ct).ConfigureAwait(false);
        try
        {
            return await OpenAsync(repository, collection, id, passphrase, ct).ConfigureAwait(false);
        }
        catch
        {
            repository.Dispose();
            throw;
        }
    }

    private static async Task<OpenedBackup> OpenAsync(BackupRepository repository, string? collection, string id, string? passphrase, CancellationToken ct)
    {
        collection ??= await CollectionAccess.FindCollectionOfAsync(repository, id, ct).ConfigureAwait(false);
        var definition = await repository.GetCollectionAsync(collection, ct).ConfigureAwait(false);
        var chain = await CollectionAccess.ResolveChainAsync(repository, collection, id, ct).ConfigureAwait(false);
        var key = CollectionAccess.UnlockKey(definition, passphrase);
        CollectionAccess.CheckManifests(definition, chain, key);
        return new OpenedBackup(repository, definition, chain, new ArtifactReader(repository, key));
    }
}
