using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Operations;

/// <summary>Lists committed backups across collections (Get-Backup).</summary>
internal static class BackupCatalog
{
    public static async Task<List<BackupInfo>> QueryAsync(BackupQuery query, CancellationToken ct)
    {
        using var repository = await CollectionAccess.OpenRepositoryAsync(query.Repository, ct).ConfigureAwait(false);
        var collections = new List<string>();
        if (query.Collection != null && !Glob.HasWildcards(query.Collection))
        {
            collections.Add((await repository.GetCollectionAsync(query.Collection, ct).ConfigureAwait(false)).Name);
        }
        else
        {
            var glob = new Glob(query.Collection ?? "*", ignoreCase: true);
            await foreach (var definition in repository.ListCollectionsAsync(ct).ConfigureAwait(false))
                if (glob.IsMatch(definition.Name))
                    collections.Add(definition.Name);
        }

        var now = DateTimeOffset.UtcNow;
        var result = new List<BackupInfo>();
        foreach (var collection in collections)
        {
            var backups = (await repository.ListCommittedAsync(collection, withLabels: true, ct).ConfigureAwait(false))
                .Where(b => query.Type == null || b.Manifest.Type == query.Type)
                .Where(b => query.Id == null || b.Manifest.Id == query.Id)
                .ToList();
            if (query.Latest && backups.Count > 1)
                backups = [backups[^1]];
            result.AddRange(backups.Select(b => CollectionAccess.Describe(b.Manifest, repository, now, b.Labels)));
        }
        return result;
    }
}
