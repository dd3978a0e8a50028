using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers.PostgreSql.Cluster;

/// <summary>archive_command's work (psbackup-cli archive-wal) and the recoverable window (Get-BackupRecoveryWindow).</summary>
internal static class WalOperations
{
    public static async Task<bool> ArchiveAsync(CollectionScope scope, string file, string name, CancellationToken ct)
    {
        WalFileName.Validate(name);
        if (!File.Exists(file))
            throw new InvalidBackupRequestException("WalFileNotFound", $"WAL file '{file}' does not exist (archive_command passes %p, relative to the data directory).");
        return await new WalArchive(scope.Repository.Store, scope.Name).PushAsync(name, file, scope.Definition, scope.Key, ct).ConfigureAwait(false);
    }

    /// <summary>The window of one cluster target: from the end of the oldest restorable base backup to the newest archived commit.</summary>
    public static async Task<RecoveryWindow> WindowAsync(CollectionScope scope, string target, IReadOnlyList<BackupManifest> backups, CancellationToken ct)
    {
        var archive = new WalArchive(scope.Repository.Store, scope.Name);
        var names = await archive.ListAsync(ct).ConfigureAwait(false);
        var key = scope.Key;
        var window = new RecoveryWindow
        {
            Collection = scope.Name, Target = target,
            WalSegmentCount = names.Count(WalFileName.IsSegment),
            Timeline = names.Where(WalFileName.IsSegment).Select(WalFileName.Timeline).DefaultIfEmpty(0).Max(),
        };
        var restorable = new List<(BackupManifest Full, WalChain Chain)>();
        foreach (var full in backups.Where(b => b.Type == BackupType.Full))
        {
            if (ClusterProvider.CompleteRecord(full, target) is not { } record)
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
