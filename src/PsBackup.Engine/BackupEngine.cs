using PsBackup.Engine.Operations;

namespace PsBackup.Engine;

/// <summary>
/// The engine's front door: one method per cmdlet. Everything is async and cancellable,
/// reports progress through IProgress, and throws <see cref="Errors.PsBackupException"/>s.
/// </summary>
public sealed class BackupEngine(EngineOptions? options = null)
{
    private readonly EngineOptions _options = options ?? new EngineOptions();

    public Task<BackupCollectionInfo> NewCollectionAsync(NewCollectionRequest request, CancellationToken ct = default) =>
        new CollectionManager(_options).CreateAsync(request, ct);

    public Task<List<BackupCollectionInfo>> GetCollectionsAsync(RepositoryAddress? repository, string? namePattern, CancellationToken ct = default) =>
        CollectionManager.GetAsync(repository, namePattern, ct);

    /// <summary>Returns warnings: what could not be dropped on the targets' servers when <paramref name="force"/> is set.</summary>
    public Task<List<string>> RemoveCollectionAsync(RepositoryAddress? repository, string name,
        Providers.TargetCredentials? credentials = null, bool force = false, CancellationToken ct = default) =>
        new CollectionManager(_options).RemoveAsync(repository, name, credentials, force, ct);

    public IAsyncEnumerable<BackupTargetStatus> GetTargetStatusAsync(RepositoryAddress? repository, string collection,
        Providers.TargetCredentials? credentials = null, CancellationToken ct = default) =>
        CollectionManager.StatusAsync(repository, collection, credentials, ct);

    public Task<BackupRunResult> InvokeBackupAsync(BackupRequest request, IProgress<BackupProgress>? progress = null, CancellationToken ct = default) =>
        new BackupRunner(_options).RunAsync(request, progress, ct);

    /// <summary>
    /// Invoke-Backup of several collections: each request's collection may be a wildcard; at most
    /// <paramref name="collectionThrottleLimit"/> collections run at once; one outcome per collection, as each finishes.
    /// </summary>
    public IAsyncEnumerable<CollectionBackupOutcome> InvokeBackupsAsync(IReadOnlyList<BackupRequest> requests, int collectionThrottleLimit,
        IProgress<BackupProgress>? progress = null, CancellationToken ct = default) =>
        new CollectionsBackupRunner(_options).RunAsync(requests, collectionThrottleLimit, progress, ct);

    public Task<List<BackupInfo>> GetBackupsAsync(BackupQuery query, CancellationToken ct = default) =>
        BackupCatalog.QueryAsync(query, ct);

    /// <summary>Restore-Backup's -WhatIf/-Confirm: the backup, targets and destinations a restore would use; changes nothing.</summary>
    public Task<RestorePlan> PlanRestoreAsync(RestoreRequest request, CancellationToken ct = default) =>
        RestoreRunner.PlanAsync(request, ct);

    public IAsyncEnumerable<RestoreOutcome> RestoreAsync(RestoreRequest request, IProgress<BackupProgress>? progress = null, CancellationToken ct = default) =>
        RestoreRunner.RunAsync(request, progress, ct);

    public IAsyncEnumerable<ArtifactVerification> TestBackupAsync(VerifyRequest request, IProgress<BackupProgress>? progress = null, CancellationToken ct = default) =>
        JournaledRuns.RunAsync(request.Repository, request.Collection, f => f.Collection, RunOperation.Verify, BackupVerifier.RunAsync(request, progress, ct),
            (record, findings) =>
            {
                var failed = findings.Where(f => f.Status != VerificationStatus.Ok).ToList();
                record.BackupId = request.Id;
                record.Bytes = findings.Where(f => f.Status == VerificationStatus.Ok).Sum(f => f.SizeBytes);
                record.Items = findings.Count;
                record.FailedItems = failed.Count;
                // Damage found is a failed verification, however much else was intact.
                if (failed.Count > 0)
                {
                    record.Outcome = RunOutcome.Failed;
                    record.ErrorId = "BackupVerificationFailed";
                    record.Message = $"{failed.Count} of {findings.Count} item(s) {failed[0].Status}: {failed[0].Message}";
                }
            }, progress, ct);

    /// <summary>Copy-Backup: one result per backup considered, oldest first.</summary>
    public IAsyncEnumerable<CopyOutcome> CopyBackupAsync(CopyRequest request, IProgress<BackupProgress>? progress = null, CancellationToken ct = default) =>
        JournaledRuns.RunAsync(request.Source, request.Collection, o => o.Result.Collection, RunOperation.Copy, new BackupCopier(_options).RunAsync(request, progress, ct),
            (record, outcomes) =>
            {
                var failed = outcomes.Where(o => o.Error != null || o.Result.Status == CopyStatus.Failed).ToList();
                record.Target = request.Destination.ToString();
                record.Bytes = outcomes.Sum(o => o.Result.BytesCopied);
                record.Items = outcomes.Count;
                record.FailedItems = failed.Count;
                record.Outcome = JournaledRuns.OutcomeOf(outcomes.Count, failed.Count);
                if (failed.FirstOrDefault() is { } first)
                {
                    record.ErrorId = first.Error?.ErrorId ?? "CopyFailed";
                    record.Message = first.Error?.Message ?? first.Result.Message;
                }
                // The newest backup the destination now holds: DR copy lag is the source's newest minus this.
                if (outcomes.Where(o => o.Result.Status != CopyStatus.Failed && o.Result.LogRange == null).Select(o => BackupIdTime(o.Result.BackupId)).Max() is { } newest)
                    (record.Facts ??= [])["newestCopiedBackupTimestampSeconds"] = newest.ToUnixTimeMilliseconds() / 1000.0;
            }, progress, ct);

    /// <summary>Get-BackupStorageLifecycle: PsBackup's bucket lifecycle rules for an S3 repository.</summary>
    public Task<StorageLifecycle> GetStorageLifecycleAsync(RepositoryAddress? repository, CancellationToken ct = default) =>
        StorageLifecycleManager.GetAsync(repository, ct);

    /// <summary>-WhatIf of Set-/Remove-BackupStorageLifecycle: what would change; changes nothing. A null policy removes PsBackup's rules.</summary>
    public Task<StorageLifecyclePlan> PlanStorageLifecycleAsync(RepositoryAddress? repository, Storage.S3.LifecyclePolicy? policy, CancellationToken ct = default) =>
        StorageLifecycleManager.PlanAsync(repository, policy, ct);

    /// <summary>Set-BackupStorageLifecycle (a null policy: Remove-): replaces only this repository's rules in the bucket's lifecycle.</summary>
    public Task<StorageLifecycle> SetStorageLifecycleAsync(RepositoryAddress? repository, Storage.S3.LifecyclePolicy? policy, CancellationToken ct = default) =>
        StorageLifecycleManager.SetAsync(repository, policy, ct);

    /// <summary>
    /// Stores one log file a server's archive command hands over (psbackup-cli): Stored is false when the
    /// identical file was already archived; with copy repositories, each one's outcome.
    /// </summary>
    public Task<ArchiveLogResult> ArchiveLogAsync(ArchiveLogRequest request, CancellationToken ct = default) =>
        PointInTimeOperations.ArchiveLogAsync(request, ct);

    /// <summary>Get-BackupArchiveCommand: the server setting that hands each finished log file of a collection to the archiver.</summary>
    public Task<ArchiveCommand> GetArchiveCommandAsync(ArchiveCommandRequest request, CancellationToken ct = default) =>
        PointInTimeOperations.ArchiveCommandAsync(request, ct);

    /// <summary>Get-BackupRecoveryWindow: per point-in-time target, the earliest and latest restorable moment.</summary>
    public Task<List<RecoveryWindow>> GetRecoveryWindowsAsync(RecoveryWindowQuery query, CancellationToken ct = default) =>
        PointInTimeOperations.WindowsAsync(query, ct);

    /// <summary>Invoke-RestoreDrill's -WhatIf/-Confirm: per collection, which backup each target is drilled from and into what; changes nothing.</summary>
    public Task<List<RestoreDrillPlan>> PlanRestoreDrillAsync(RestoreDrillRequest request, CancellationToken ct = default) =>
        RestoreDrillRunner.PlanAsync(request, ct);

    /// <summary>Invoke-RestoreDrill: each target restored into a scratch place, checked, timed and removed; the evidence recorded in the repository.</summary>
    public IAsyncEnumerable<RestoreDrillOutcome> InvokeRestoreDrillAsync(RestoreDrillRequest request, IProgress<BackupProgress>? progress = null, CancellationToken ct = default) =>
        JournaledRuns.RunAsync(request.Repository, request.Collection, o => o.Result.Collection, RunOperation.Drill, RestoreDrillRunner.RunAsync(request, progress, ct),
            (record, outcomes) =>
            {
                var failed = outcomes.Where(o => o.Error != null || o.Result.Status != DrillStatus.Passed).ToList();
                record.BackupId = outcomes.Count > 0 ? outcomes[0].Result.BackupId : null;
                record.Items = outcomes.Count;
                record.FailedItems = failed.Count;
                record.Outcome = JournaledRuns.OutcomeOf(outcomes.Count, failed.Count);
                if (failed.FirstOrDefault() is { } first)
                {
                    record.ErrorId = first.Error?.ErrorId ?? (first.Result.ErrorId.Length > 0 ? first.Result.ErrorId : "DrillFailed");
                    record.Message = first.Error?.Message ?? first.Result.Reason;
                }
                if (outcomes.Count > 0)
                {
                    // The collection's recovery time: its slowest target's restore.
                    (record.Facts ??= [])["restoreDurationSeconds"] = outcomes.Max(o => o.Result.RestoreDuration.TotalSeconds);
                    if (outcomes.Where(o => o.Result.DataLoss != null).Select(o => o.Result.DataLoss!.Value.TotalSeconds).DefaultIfEmpty(double.NaN).Max() is var loss && !double.IsNaN(loss))
                        record.Facts["dataLossSeconds"] = loss;
                }
            }, progress, ct);

    /// <summary>Get-RestoreDrill (and the DR checks and metrics): the recorded drills, one result per drilled target, oldest first.</summary>
    public Task<RestoreDrillRecords> GetRestoreDrillsAsync(RestoreDrillQuery query, CancellationToken ct = default) =>
        DrillRecords.QueryAsync(query, ct);

    /// <summary>Test-DrEnvironment: one check per finding about the repositories, collections, drills, archived logs, servers and replicas; changes nothing.</summary>
    public Task<List<DrCheck>> TestDrEnvironmentAsync(DrEnvironmentRequest request, CancellationToken ct = default) =>
        DrEnvironmentChecker.RunAsync(request, ct);

    /// <summary>Start-Failover's -WhatIf/-Confirm: the replica that would be promoted and the data it would lose; changes nothing.</summary>
    public Task<FailoverPlan> PlanFailoverAsync(FailoverRequest request, CancellationToken ct = default) =>
        FailoverRunner.PlanAsync(request, ct);

    /// <summary>Start-Failover: each step reported through <paramref name="onStep"/> as it ends; the summary when the replica is promoted and the collection repointed.</summary>
    public Task<FailoverSummary> FailoverAsync(FailoverRequest request, Action<FailoverStep> onStep, IProgress<BackupProgress>? progress = null, CancellationToken ct = default) =>
        new FailoverRunner(_options).RunAsync(request, onStep, progress, ct);

    public Task<BackupCollectionInfo> SetCollectionAsync(SetCollectionRequest request, CancellationToken ct = default) =>
        new CollectionManager(_options).SetAsync(request, ct);

    /// <summary>Set-Backup: pins/unpins or tags a backup.</summary>
    public Task<BackupInfo> SetBackupAsync(SetBackupRequest request, CancellationToken ct = default) =>
        new BackupLabeler(_options).SetAsync(request, ct);

    /// <summary>Invoke-RetentionPolicy's plan: one decision per backup and unfinished folder, oldest first; changes nothing.</summary>
    public Task<List<RetentionDecision>> PlanRetentionAsync(RetentionRequest request, CancellationToken ct = default) =>
        RetentionRunner.PlanAsync(request, ct);

    /// <summary>Applies retention under the collection's lock, deleting only the approved backup ids the fresh plan also deletes.</summary>
    public IAsyncEnumerable<RetentionDecision> ApplyRetentionAsync(RetentionRequest request, IReadOnlySet<string> approved,
        IProgress<BackupProgress>? progress = null, CancellationToken ct = default) =>
        JournaledRuns.RunAsync(request.Repository, request.Collection, d => d.Collection, RunOperation.Retention, new RetentionRunner(_options).ApplyAsync(request, approved, progress, ct),
            (record, decisions) =>
            {
                var deleted = decisions.Where(d => d.Deleted).ToList();
                record.Items = deleted.Count;
                record.Bytes = deleted.Sum(d => d.StoredBytes);
            }, progress, ct);

    private static DateTimeOffset? BackupIdTime(string id) => Repository.BackupId.IsValid(id) ? Repository.BackupId.TimeOf(id) : null;

    /// <summary>Get-BackupRun: the recorded runs of the matching collections, oldest first.</summary>
    public Task<BackupRunRecords> GetRunsAsync(RunQuery query, CancellationToken ct = default) =>
        RunHistory.QueryAsync(query, ct);

    /// <summary>Export-BackupMetrics: the repository's state in the Prometheus text exposition format.</summary>
    public async Task<string> ExportMetricsAsync(Metrics.MetricsRequest request, IProgress<BackupProgress>? progress = null, CancellationToken ct = default) =>
        (await Metrics.BackupMetrics.CollectAsync(request, progress, ct).ConfigureAwait(false)).ToString();
}
