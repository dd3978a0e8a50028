using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers;
using PsBackup.Engine.Providers.Capabilities;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Operations;

/// <summary>
/// The collection-wide side of point-in-time recovery: log archiving (the server's archive
/// command) and recovery windows, asked of the kinds with <see cref="IPointInTimeRecovery"/>.
/// </summary>
internal static class PointInTimeOperations
{
    /// <summary>Stores one log file into the collection through the kind of its point-in-time targets, then into the request's copy repositories.</summary>
    public static async Task<ArchiveLogResult> ArchiveLogAsync(ArchiveLogRequest request, CancellationToken ct)
    {
        Names.Validate(request.Collection, "Collection");
        using var repository = await CollectionAccess.OpenRepositoryAsync(request.Repository, ct).ConfigureAwait(false);
        var definition = await repository.GetCollectionAsync(request.Collection, ct).ConfigureAwait(false);
        var kinds = CollectionAccess.Describe(definition, repository).Targets
            .Select(EngineKinds.For).OfType<IPointInTimeRecovery>().Distinct().ToList();
        if (kinds.Count != 1)
            throw new InvalidBackupRequestException(kinds.Count == 0 ? "NoPointInTimeTarget" : "AmbiguousLogArchive",
                $"Collection '{definition.Name}' has {(kinds.Count == 0 ? "no target" : "targets of several kinds")} that archive a log for point-in-time recovery " +
                $"({string.Join(", ", EngineKinds.With<IPointInTimeRecovery>())} targets do); archive into a collection with exactly one such kind.");
        var key = CollectionAccess.UnlockKey(definition, request.Passphrase);
        var stored = await kinds[0].ArchiveLogAsync(new CollectionScope(repository, definition, key), request.File, request.Name, ct).ConfigureAwait(false);
        return new ArchiveLogResult(stored, await ArchiveCopies.StoreAsync(kinds[0], request, repository, definition, key, ct).ConfigureAwait(false));
    }

    /// <summary>Get-BackupRecoveryWindow: one window per point-in-time target of the matching collections.</summary>
    public static async Task<List<RecoveryWindow>> WindowsAsync(RecoveryWindowQuery query, CancellationToken ct)
    {
        if (query.Collection != null) Names.ValidatePattern(query.Collection, "Collection");
        using var repository = await CollectionAccess.OpenRepositoryAsync(query.Repository, ct).ConfigureAwait(false);
        var glob = new Glob(query.Collection ?? "*", ignoreCase: true);
        var definitions = new List<CollectionDefinition>();
        await foreach (var definition in repository.ListCollectionsAsync(ct).ConfigureAwait(false))
            if (glob.IsMatch(definition.Name)) definitions.Add(definition);
        if (definitions.Count == 0 && query.Collection != null && !Glob.HasWildcards(query.Collection))
            throw new CollectionNotFoundException(query.Collection, repository.Location);
        var windows = new List<RecoveryWindow>();
        foreach (var definition in definitions)
        {
            var targets = CollectionAccess.Describe(definition, repository).Targets.Where(t => EngineKinds.For(t) is IPointInTimeRecovery).ToList();
            if (targets.Count == 0) continue;
            // The key is needed only to read parts of the archived log (timeline histories): optional here.
            var scope = new CollectionScope(repository, definition, CollectionAccess.UnlockKey(definition, query.Passphrase, required: false));
            var backups = await repository.ListBackupsAsync(definition.Name, ct).ConfigureAwait(false);
            foreach (var target in targets)
                windows.Add(await ((IPointInTimeRecovery)EngineKinds.For(target)).GetWindowAsync(scope, target, backups, ct).ConfigureAwait(false));
        }
        return windows;
    }
}
