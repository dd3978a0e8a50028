using PsBackup.Engine.Operations;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers.PostgreSql.Cluster;

/// <summary>
/// For a point-in-time or LSN restore, the backup to start from: the newest backup of the
/// collection, no newer than the one asked for, that ended before the target. So
/// `Get-Backup -Latest | Restore-Backup -PointInTime $t` works for any $t in the window.
/// </summary>
internal static class RecoveryBaseChooser
{
    public static async Task<string> ChooseAsync(RestoreRequest request, CancellationToken ct)
    {
        var recovery = request.Recovery!;
        if (recovery.EndOfArchive) return request.Id;
        var repository = await CollectionAccess.OpenRepositoryAsync(request.Repository, ct).ConfigureAwait(false);
        var collection = request.Collection ?? await CollectionAccess.FindCollectionOfAsync(repository, request.Id, ct).ConfigureAwait(false);
        var candidates = (await repository.ListBackupsAsync(collection, ct).ConfigureAwait(false))
            .Where(m => string.CompareOrdinal(m.Id, request.Id) <= 0)
            .ToList();
        if (candidates.Count == 0) return request.Id; // not found: the restore says so
        var lsn = recovery.Lsn == null ? (Lsn?)null : Lsn.Parse(recovery.Lsn);
        var chosen = candidates.LastOrDefault(m => recovery.Time != null ? m.EndTime <= recovery.Time : EndsBefore(m, lsn!.Value));
        // None ended early enough: the oldest, whose restore names the recoverable window.
        return (chosen ?? candidates[0]).Id;
    }

    private static bool EndsBefore(BackupManifest manifest, Lsn lsn) =>
        manifest.Targets.Where(t => t.Kind == TargetKind.PostgreSqlCluster && t.Status == TargetStatus.Complete)
            .Select(ClusterBackupState.From).Any(s => Lsn.Parse(s.StopLsn) <= lsn);
}
