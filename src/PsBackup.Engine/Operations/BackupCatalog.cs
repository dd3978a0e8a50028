using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Operations;

/// <summary>Lists committed backups across collections (Get-Backup).</summary>
internal static class BackupCatalog
{
    public static async Task<List<BackupInfo>> QueryAsync(BackupQuery query, CancellationToken ct)
    {
        if (query.Collection != null) Names.ValidatePattern(query.Collection, "Collection");
        if (query.Id != null) BackupId.Validate(query.Id);
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
            // Damaged backups are listed too (Status Corrupt), so `Get-Backup | Test-Backup` reaches them instead of skipping them.
            var scan = await repository.ScanCommittedAsync(collection, withLabels: true, ct).ConfigureAwait(false);
            var backups = scan.Backups.Select(b => CollectionAccess.Describe(b.Manifest, repository, now, b.Labels))
                .Concat(scan.Damaged.Select(d => CollectionAccess.Describe(d, repository, now)))
                .Where(b => query.Type == null || b.Type == query.Type)
                .Where(b => query.Id == null || b.Id == query.Id)
                .OrderBy(b => b.StartTime).ThenBy(b => b.Id, StringComparer.Ordinal)
                .ToList();
            if (query.Latest && backups.Count > 1)
                backups = [backups[^1]];
            var drilled = await DrillRecords.LatestByBackupAsync(repository, collection, backups.Select(b => b.Id).ToHashSet(), ct).ConfigureAwait(false);
            foreach (var backup in backups)
                if (drilled.TryGetValue(backup.Id, out var drill)) (backup.LastDrillTime, backup.LastDrillStatus) = drill;
            result.AddRange(backups);
        }
        return result;
    }
}
