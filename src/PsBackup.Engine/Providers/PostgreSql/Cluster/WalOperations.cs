using PsBackup.Engine.Errors;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers.PostgreSql.Cluster;

/// <summary>archive_command's work (psbackup-cli archive-wal) and the recoverable window (Get-BackupRecoveryWindow).</summary>
internal static class WalOperations
{
    public static async Task<bool> ArchiveAsync(WalArchiveRequest request, CancellationToken ct)
    {
        WalFileName.Validate(request.Name);
        Names.Validate(request.Collection, "Collection");
        if (!File.Exists(request.File))
            throw new InvalidBackupRequestException("WalFileNotFound", $"WAL file '{request.File}' does not exist (archive_command passes %p, relative to the data directory).");
        var repository = await CollectionAccess.OpenRepositoryAsync(request.Repository, ct).ConfigureAwait(false);
        var definition = await repository.GetCollectionAsync(request.Collection, ct).ConfigureAwait(false);
        var key = CollectionAccess.UnlockKey(definition, request.Passphrase);
        return await new WalArchive(repository.Store, definition.Name).PushAsync(request.Name, request.File, definition, key, ct).ConfigureAwait(false);
    }

    public static async Task<List<RecoveryWindow>> WindowsAsync(RecoveryWindowQuery query, CancellationToken ct)
    {
        if (query.Collection != null) Names.ValidatePattern(query.Collection, "Collection");
        var repository = await CollectionAccess.OpenRepositoryAsync(query.Repository, ct).ConfigureAwait(false);
        var glob = new Glob(query.Collection ?? "*", ignoreCase: true);
        var windows = new List<RecoveryWindow>();
        var definitions = new List<CollectionDefinition>();
        await foreach (var definition in repository.ListCollectionsAsync(ct).ConfigureAwait(false))
            if (glob.IsMatch(definition.Name)) definitions.Add(definition);
        if (definitions.Count == 0 && query.Collection != null && !Glob.HasWildcards(query.Collection))
            throw new CollectionNotFoundException(query.Collection, repository.Location);
        foreach (var definition in definitions)
        {
            var targets = CollectionAccess.Describe(definition, repository).Targets.Where(t => t.Kind == TargetKind.PostgreSqlCluster).ToList();
            if (targets.Count == 0) continue;
            var key = CollectionAccess.UnlockKey(definition, query.Passphrase, required: false); // needed only to read timeline histories
            var archive = new WalArchive(repository.Store, definition.Name);
            var names = await archive.ListAsync(ct).ConfigureAwait(false);
            var backups = await repository.ListBackupsAsync(definition.Name, ct).ConfigureAwait(false);
            foreach (var target in targets)
                windows.Add(await WindowAsync(archive, key, names, backups, definition.Name, target.Name, ct).ConfigureAwait(false));
        }
        return windows;
    }

    private static async Task<RecoveryWindow> WindowAsync(WalArchive archive, byte[]? key, SortedSet<string> names, List<BackupManifest> backups,
        string collection, string target, CancellationToken ct)
    {
        var window = new RecoveryWindow
        {
            Collection = collection, Target = target,
            WalSegmentCount = names.Count(WalFileName.IsSegment),
            Timeline = names.Where(WalFileName.IsSegment).Select(WalFileName.Timeline).DefaultIfEmpty(0).Max(),
        };
        var restorable = new List<(BackupManifest Full, WalChain Chain)>();
        foreach (var full in backups.Where(b => b.Type == BackupType.Full))
        {
            if (full.Targets.FirstOrDefault(t => t.Name == target && t.Status == TargetStatus.Complete && t.Kind == TargetKind.PostgreSqlCluster) is not { } record)
                continue;
            window.BaseBackupCount++;
            var state = ClusterBackupState.From(record);
            var lineage = await WalChain.LineageAsync(archive, names, state.StartTimeline, key, ct).ConfigureAwait(false);
            var chain = WalChain.Walk(names, lineage, WalFileName.SegmentOf(Lsn.Parse(state.StartLsn), state.WalSegmentSize), state.WalSegmentSize);
            if (chain.Reaches(WalFileName.SegmentOf(Lsn.Parse(state.StopLsn), state.WalSegmentSize)))
                restorable.Add((full, chain));
            else
                window.MissingSegment ??= chain.Missing ?? WalFileName.Segment(lineage.TimelineOf(chain.FirstSegment + (ulong)chain.Segments.Count, state.WalSegmentSize),
                    chain.FirstSegment + (ulong)chain.Segments.Count, state.WalSegmentSize);
        }
        if (restorable.Count == 0) return window;
        window.Earliest = restorable[0].Full.EndTime;
        window.MissingSegment = restorable[0].Chain.Missing;
        foreach (var (_, chain) in new[] { restorable[^1], restorable[0] })
            if (await chain.LatestCommitAsync(archive, ct).ConfigureAwait(false) is { } latest && (window.Latest == null || latest > window.Latest))
                window.Latest = latest;
        window.Lag = window.Latest == null ? null : DateTimeOffset.UtcNow - window.Latest.Value;
        return window;
    }
}
