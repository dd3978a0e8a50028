using System.Reflection;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers;
using PsBackup.Engine.Providers.Capabilities;
using PsBackup.Engine.Repository;
using PsBackup.Engine.Storage;

namespace PsBackup.Engine.Operations;

/// <summary>
/// Takes one backup of a collection: lock, clean up unfinished backups, run every target
/// (a failing target does not stop the others), then commit the manifest — last, and only
/// while the lock is still ours. Cancelled or failed runs leave no visible backup.
/// </summary>
internal sealed class BackupRunner(EngineOptions options)
{
    private static readonly string Tool = $"PsBackup {typeof(BackupRunner).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]}";

    /// <summary>One backup, recorded in the collection's run journal however it ends (succeeded, partial, failed, cancelled).</summary>
    public Task<BackupRunResult> RunAsync(BackupRequest request, IProgress<BackupProgress>? progress, CancellationToken ct) =>
        JournaledRuns.RunAsync(request.Repository, request.Collection, RunOperation.Backup, () => RunUnrecordedAsync(request, progress, ct), (record, result) =>
        {
            record.BackupId = result.Backup.Id;
            record.Bytes = result.Backup.SizeBytes;
            record.StoredBytes = result.Backup.StoredBytes;
            record.Items = result.Backup.TargetCount;
            record.FailedItems = result.Failures.Count;
            if (result.Failures.Count > 0)
            {
                record.Outcome = RunOutcome.Partial;
                record.ErrorId = result.Failures[0].Error.ErrorId;
                record.Message = result.Failures[0].Error.Message;
            }
        }, progress, ct);

    private async Task<BackupRunResult> RunUnrecordedAsync(BackupRequest request, IProgress<BackupProgress>? progress, CancellationToken ct)
    {
        Names.Validate(request.Collection, "Collection");
        using var repository = await CollectionAccess.OpenRepositoryAsync(request.Repository, ct).ConfigureAwait(false);
        var definition = await repository.GetCollectionAsync(request.Collection, ct).ConfigureAwait(false);
        if (request.Type == BackupType.Incremental && !definition.IncrementalBackupEnabled)
            throw new InvalidBackupRequestException("IncrementalNotEnabled",
                $"Collection '{definition.Name}' was created without -IncrementalBackupEnabled; run a full backup (omit -Incremental).");
        var key = CollectionAccess.UnlockKey(definition, request.Passphrase);
        var targets = CollectionAccess.Describe(definition, repository).Targets;

        await using var collectionLock = await CollectionLock.AcquireAsync(repository.Store, definition.Name, "Invoke-Backup", options.LockLease, ct).ConfigureAwait(false);
        progress.Verbose($"Locked collection '{definition.Name}' in {repository.Location} (lease {options.LockLease.TotalSeconds:0} s, renewed while the backup runs).");
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, collectionLock.Lost);
        var token = linked.Token;
        // One listing serves both: the unfinished folders it names go, the committed ones stay as they are (we hold the lock).
        var folders = await repository.ScanBackupFoldersAsync(definition.Name, token).ConfigureAwait(false);
        var removed = await repository.DeleteUnfinishedAsync(definition.Name, folders, token).ConfigureAwait(false);
        if (removed > 0)
            progress.Verbose($"Removed {removed} unfinished backup folder(s) an interrupted run left.");

        var history = new BackupHistory(repository, definition.Name, folders);
        var parent = await FindParentAsync(history, definition, request.Type, key, token).ConfigureAwait(false);
        if (request.Type == BackupType.Incremental && parent == null)
            throw new InvalidBackupRequestException("NoFullBackup",
                $"Collection '{definition.Name}' has no backup yet, so an incremental has nothing to build on. Run a full backup first (omit -Incremental).");

        var start = DateTimeOffset.UtcNow;
        var manifest = new BackupManifest
        {
            Id = BackupId.New(start, request.Type),
            Collection = definition.Name,
            Type = request.Type,
            Parent = request.Type == BackupType.Incremental ? parent!.Id : null,
            StartTime = start,
            Compression = definition.Compression,
            Encrypted = key != null,
            Host = Environment.MachineName,
            Tool = Tool,
        };
        var session = new BackupSession(repository, manifest, key, definition.Storage, progress);
        var failures = new List<TargetFailure>();
        var warnings = new List<string>();
        progress.Verbose($"Backup {manifest.Id}: {(manifest.Parent == null ? "full" : $"incremental on {manifest.Parent}")}, " +
            $"{targets.Length} target(s): {string.Join(", ", targets.Select(t => t.Name))}.");
        try
        {
            var number = 0;
            foreach (var target in targets)
            {
                progress?.Report(new BackupProgress($"Backing up '{target.Name}'", $"target {++number} of {targets.Length}", null, 0, -1) { Target = target.Name });
                var record = new TargetRecord { Name = target.Name, Kind = target.Kind };
                manifest.Targets.Add(record);
                TargetBackupContext? context = null;
                try
                {
                    var kind = EngineKinds.For(target);
                    var @base = request.Type == BackupType.Incremental && kind is IIncrementalBackup
                        ? await FindBaseAsync(history, manifest.Parent!, target, token).ConfigureAwait(false)
                        : null;
                    context = new TargetBackupContext(session, target, @base, request.Credentials.For(target.Name))
                    {
                        IncrementalEnabled = definition.IncrementalBackupEnabled,
                        ThrottleLimit = request.ThrottleLimit,
                        Previous = await FindPreviousAsync(history, target, token).ConfigureAwait(false),
                    };
                    progress.Verbose($"Target '{target.Name}' ({target.Kind}): {(@base == null ? "backing up" : $"backing up what changed since {@base.Backup.Id}")}.");
                    record.State = await kind.BackupAsync(context, token).ConfigureAwait(false);
                    record.Status = TargetStatus.Complete;
                    record.Artifacts = context.Artifacts;
                    progress.Verbose($"Target '{target.Name}': complete, {record.Artifacts.Count} artifact(s), {ProgressReporter.Size(record.Artifacts.Sum(a => a.Size))}.");
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    var error = Failures.Of(e, target.Name, OperationKind.Backup);
                    record.Status = TargetStatus.Failed;
                    record.Error = error.Message;
                    failures.Add(new TargetFailure(target.Name, error));
                    progress.Verbose($"Target '{target.Name}': failed ({error.ErrorId}); its artifacts are deleted, the other targets go on.");
                    // A failed target keeps no artifacts: the backup records only what restores.
                    await repository.Store.DeletePrefixAsync(RepositoryKeys.Artifact(manifest.Collection, manifest.Id, target.Name + "/"), token).ConfigureAwait(false);
                }
                warnings.AddRange(context?.Warnings.Select(w => $"{target.Name}: {w}") ?? []);
            }
            if (failures.Count == targets.Length)
                throw failures.Count == 1
                    ? failures[0].Error // its own ErrorId (TargetUnavailable …) says more than "BackupFailed"
                    : new BackupFailedException(
                        $"Backup of collection '{definition.Name}' failed for every target; nothing was committed. " +
                        string.Join(" ", failures.Select(f => f.Error.Message)), failures[0].Error);

            manifest.EndTime = DateTimeOffset.UtcNow;
            await collectionLock.EnsureHeldAsync(token).ConfigureAwait(false);
            await repository.CommitManifestAsync(manifest, token, key).ConfigureAwait(false);
            progress.Verbose($"Committed backup {manifest.Id}: its manifest is written, last; releasing the lock.");
        }
        catch (Exception e)
        {
            await repository.DiscardUncommittedAsync(manifest.Collection, manifest.Id).ConfigureAwait(false);
            if (e is OperationCanceledException && collectionLock.Lost.IsCancellationRequested && !ct.IsCancellationRequested)
                throw new LockLostException($"Collection '{definition.Name}': the lock was taken over during the backup; nothing was committed.");
            throw;
        }
        return new BackupRunResult(CollectionAccess.Describe(manifest, repository, DateTimeOffset.UtcNow), failures, warnings, removed);
    }

    /// <summary>
    /// The newest committed backup. An incremental builds on it: its chain must be whole and
    /// trusted (no damaged newer backup, no missing parent, no loop, MACs) before anything is written.
    /// </summary>
    private static async Task<BackupManifest?> FindParentAsync(BackupHistory history, CollectionDefinition definition, BackupType type, byte[]? key, CancellationToken ct)
    {
        var newest = await history.NewestAsync(ct).ConfigureAwait(false);
        if (type == BackupType.Incremental)
        {
            if (history.DamagedNewerThan(newest) is { } damaged)
                throw damaged;
            if (newest != null)
                CollectionAccess.CheckManifests(definition, await BackupChain.ResolveAsync(newest.Id, id => history.FindAsync(id, ct)).ConfigureAwait(false), key);
        }
        return newest;
    }

    /// <summary>The newest backup where the target succeeded, if any.</summary>
    private static async Task<BaseBackup?> FindPreviousAsync(BackupHistory history, BackupTarget target, CancellationToken ct)
    {
        await foreach (var manifest in history.NewestFirstAsync(ct).ConfigureAwait(false))
            if (CompleteIn(manifest, target) is { } found)
                return found;
        return null;
    }

    /// <summary>The target's record in a backup where it succeeded (with the same kind), else null.</summary>
    private static BaseBackup? CompleteIn(BackupManifest manifest, BackupTarget target) =>
        manifest.Targets.FirstOrDefault(t => t.Name == target.Name) is { Status: TargetStatus.Complete } record && record.Kind == target.Kind
            ? new BaseBackup(manifest, record)
            : null;

    /// <summary>The nearest backup at or before <paramref name="parentId"/> in the chain where the target succeeded.</summary>
    private static async Task<BaseBackup> FindBaseAsync(BackupHistory history, string parentId, BackupTarget target, CancellationToken ct)
    {
        for (var id = parentId; id != null && await history.FindAsync(id, ct).ConfigureAwait(false) is { } manifest; id = manifest.Parent)
            if (CompleteIn(manifest, target) is { } found)
                return found;
        throw new InvalidBackupRequestException("NoBaseForTarget",
            $"Target '{target.Name}' has no complete backup in the chain to build an incremental on. Run a full backup.");
    }
}
