using PsBackup.Engine.Errors;
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
            var backups = query.Latest || query.Id != null
                ? await NewestAsync(repository, collection, query, now, ct).ConfigureAwait(false)
                : await AllAsync(repository, collection, query, now, ct).ConfigureAwait(false);
            var drilled = await DrillRecords.LatestByBackupAsync(repository, collection, backups.Select(b => b.Id).ToHashSet(), ct).ConfigureAwait(false);
            foreach (var backup in backups)
                if (drilled.TryGetValue(backup.Id, out var drill)) (backup.LastDrillTime, backup.LastDrillStatus) = drill;
            result.AddRange(backups);
        }
        return result;
    }

    private static async Task<List<BackupInfo>> AllAsync(BackupRepository repository, string collection, BackupQuery query, DateTimeOffset now, CancellationToken ct)
    {
        var scan = await repository.ScanCommittedAsync(collection, withLabels: true, ct).ConfigureAwait(false);
        return scan.Backups.Select(b => CollectionAccess.Describe(b.Manifest, repository, now, b.Labels))
            .Concat(scan.Damaged.Select(d => CollectionAccess.Describe(d, repository, now)))
            .Where(b => query.Type == null || b.Type == query.Type)
            .OrderBy(b => b.StartTime).ThenBy(b => b.Id, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// -Latest or -Id: the newest match only, read newest first (<see cref="BackupHistory"/>): one
    /// manifest and its labels instead of every one (on S3, one GET each).
    /// </summary>
    private static async Task<List<BackupInfo>> NewestAsync(BackupRepository repository, string collection, BackupQuery query, DateTimeOffset now, CancellationToken ct)
    {
        var folders = (await repository.ScanBackupFoldersAsync(collection, ct).ConfigureAwait(false))
            .Where(f => query.Id == null || f.Id == query.Id).ToDictionary(f => f.Id, StringComparer.Ordinal);
        var history = new BackupHistory(repository, collection, folders.Values);
        await foreach (var entry in history.EntriesNewestFirstAsync(ct).ConfigureAwait(false))
        {
            if (query.Type != null && (entry.Manifest?.Type ?? BackupId.TypeOf(entry.Id)) != query.Type) continue;
            var folder = folders[entry.Id];
            if (entry.Manifest == null)
                return [CollectionAccess.Describe(new DamagedBackup(entry.Id, collection, entry.Error!, null, folder.StoredBytes), repository, now)];
            try
            {
                var labels = folder.Labelled ? await repository.ReadLabelsAsync(collection, entry.Id, ct).ConfigureAwait(false) : null;
                return [CollectionAccess.Describe(entry.Manifest, repository, now, labels ?? new BackupLabels())];
            }
            catch (DocumentCorruptException e)
            {
                return [CollectionAccess.Describe(new DamagedBackup(entry.Id, collection, e, entry.Manifest, folder.StoredBytes), repository, now)];
            }
        }
        return [];
    }
}
