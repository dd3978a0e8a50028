using System.Runtime.CompilerServices;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers;
using PsBackup.Engine.Providers.Capabilities;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Operations;

/// <summary>
/// Restores a backup target by target, each as of that backup (the kind walks the chain). Each
/// target's kind reads -Destination as a path or an address; with several targets, each path goes
/// to a sub-folder named after its target. A failing target does not stop the others.
/// </summary>
internal static class RestoreRunner
{
    /// <summary>Which backup, targets and destinations a restore would use; changes nothing (-WhatIf, -Confirm).</summary>
    public static async Task<RestorePlan> PlanAsync(RestoreRequest request, CancellationToken ct)
    {
        var (backup, selected) = await OpenAsync(request, ct).ConfigureAwait(false);
        using var _ = backup;
        var targets = Targets(backup);
        var steps = selected.Select(record =>
        {
            var destination = request.Destination == null ? null : DestinationPath(request, record, selected.Count) ?? SecretMasker.Hide(request.Destination);
            var location = targets.TryGetValue(record.Name, out var target) ? target.Location : record.Name;
            return new RestorePlanStep(record.Name, record.Kind, destination ?? $"its original location ({SecretMasker.Hide(location)})");
        }).ToList();
        return new RestorePlan(backup.Head.Id, backup.Head.Collection, request.Recovery?.ToString(), steps);
    }

    public static async IAsyncEnumerable<RestoreOutcome> RunAsync(RestoreRequest request, IProgress<BackupProgress>? progress, [EnumeratorCancellation] CancellationToken ct)
    {
        var (backup, selected) = await OpenAsync(request, ct).ConfigureAwait(false);
        using var _ = backup;
        var targets = Targets(backup);
        foreach (var record in selected)
            yield return (await RestoreTargetAsync(backup, targets, record, request, selected.Count, progress, ct).ConfigureAwait(false)).Outcome;
    }

    /// <summary>
    /// Restores one target of an opened backup; a failure is the outcome's error, not an exception
    /// (cancellation excepted). Also returns the context it restored through, for checks that read
    /// the backup afterwards (restore drills); null when the restore could not even start.
    /// </summary>
    internal static async Task<(RestoreOutcome Outcome, TargetRestoreContext? Context)> RestoreTargetAsync(OpenedBackup backup,
        IReadOnlyDictionary<string, BackupTarget> targets, TargetRecord record, RestoreRequest request, int targetCount,
        IProgress<BackupProgress>? progress, CancellationToken ct)
    {
        var head = backup.Head;
        RestoreOutcome outcome;
        TargetRestoreContext? context = null;
        try
        {
            if (record.Status != TargetStatus.Complete)
                throw new BackupNotFoundException($"Target '{record.Name}' failed in backup '{head.Id}' ({record.Error}); restore it from another backup.") { TargetObject = head.Id };
            var kind = EngineKinds.Find(record.Kind);
            if (request.Recovery != null)
            {
                if (kind is not IPointInTimeRecovery recovery)
                    throw new InvalidBackupRequestException("RecoveryTargetNotSupported",
                        $"Target '{record.Name}' is a {record.Kind} target: -PointInTime, -TargetLsn and -EndOfArchive apply to {string.Join(", ", EngineKinds.With<IPointInTimeRecovery>())} targets only; restore it with -Target and without them.");
                recovery.ValidateRecoveryTarget(request.Recovery);
            }
            var target = targets.TryGetValue(record.Name, out var defined) ? defined : throw new IntegrityException($"Collection '{head.Collection}' no longer defines target '{record.Name}'.");
            context = new TargetRestoreContext(backup.Reader, backup.Chain, target, request.Destination, request.Force, progress,
                DestinationPath(request, record, targetCount), request.Credentials.For(record.Name), request.Recovery)
            {
                ThrottleLimit = request.ThrottleLimit,
                Options = request.Options.FirstOrDefault(o => o.GetType() == kind.RestoreOptionsType),
            };
            var result = await kind.RestoreAsync(context, ct).ConfigureAwait(false);
            result.BackupId = head.Id;
            result.Collection = head.Collection;
            result.Destination = SecretMasker.Hide(result.Destination);
            outcome = new RestoreOutcome(record.Name, result, null);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var error = Failures.Of(e, record.Name, OperationKind.Restore);
            // A destination that refused damaged data (COPY …), or a damaged header read as another format, says less
            // than the damage itself: the same check as Test-Backup.
            if (error is RestoreFailedException or RepositoryFormatException)
                error = await BackupVerifier.FirstDamageAsync(backup, record.Name, ct).ConfigureAwait(false) ?? error;
            outcome = new RestoreOutcome(record.Name, null, error);
        }
        return (outcome with { Warnings = context?.Warnings.Select(w => $"{record.Name}: {w}").ToList() ?? [] }, context);
    }

    /// <summary>The backup to restore (for a point in time, the one to start from) and the targets asked for.</summary>
    internal static async Task<(OpenedBackup Backup, List<TargetRecord> Selected)> OpenAsync(RestoreRequest request, CancellationToken ct)
    {
        request.Recovery?.Validate();
        var id = request.Recovery is { EndOfArchive: false } recovery ? await ChooseRecoveryBaseAsync(request, recovery, ct).ConfigureAwait(false) : request.Id;
        var backup = await OpenedBackup.OpenAsync(request.Repository, request.Collection, id, request.Passphrase, ct).ConfigureAwait(false);
        var head = backup.Head;
        foreach (var name in request.Targets ?? [])
            if (!head.Targets.Exists(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase)))
            {
                backup.Dispose();
                throw new InvalidBackupRequestException("UnknownTarget", $"Backup '{head.Id}' has no target '{name}'. Its targets: {string.Join(", ", head.Targets.Select(t => t.Name))}.");
            }
        var selected = head.Targets.Where(t => request.Targets is not { Count: > 0 } || request.Targets.Contains(t.Name, StringComparer.OrdinalIgnoreCase)).ToList();
        return (backup, selected);
    }

    internal static Dictionary<string, BackupTarget> Targets(OpenedBackup backup) =>
        CollectionAccess.Describe(backup.Definition, backup.Repository).Targets.ToDictionary(t => t.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// For a point in time or log position: the newest backup of the collection, no newer than the
    /// one asked for, that ended before it — so `Get-Backup -Latest | Restore-Backup -PointInTime $t`
    /// works for any $t in the window. None ended early enough: the oldest, whose restore names the window.
    /// </summary>
    private static async Task<string> ChooseRecoveryBaseAsync(RestoreRequest request, RecoveryTarget recovery, CancellationToken ct)
    {
        using var repository = await CollectionAccess.OpenRepositoryAsync(request.Repository, ct).ConfigureAwait(false);
        var collection = request.Collection ?? await CollectionAccess.FindCollectionOfAsync(repository, request.Id, ct).ConfigureAwait(false);
        var candidates = (await repository.ListBackupsAsync(collection, ct).ConfigureAwait(false))
            .Where(m => string.CompareOrdinal(m.Id, request.Id) <= 0)
            .ToList();
        if (candidates.Count == 0) return request.Id; // not found: the restore says so
        var kinds = candidates.SelectMany(m => m.Targets).Select(t => t.Kind).Distinct()
            .Select(name => EngineKinds.TryFind(name, out var kind) ? kind as IPointInTimeRecovery : null).OfType<IPointInTimeRecovery>().ToList();
        foreach (var kind in kinds) kind.ValidateRecoveryTarget(recovery);
        bool EndsBefore(BackupManifest m) => recovery.Time != null
            ? m.EndTime <= recovery.Time
            : m.Targets.Any(t => t.Status == TargetStatus.Complete && EngineKinds.TryFind(t.Kind, out var kind) && kind is IPointInTimeRecovery pitr && pitr.EndsBefore(t, recovery.Position!));
        return (candidates.LastOrDefault(EndsBefore) ?? candidates[0]).Id;
    }

    /// <summary>-Destination as a path when the target's kind reads it as one (a sub-folder per target when several restore); else null.</summary>
    private static string? DestinationPath(RestoreRequest request, TargetRecord record, int targetCount)
    {
        if (request.Destination == null || !EngineKinds.TryFind(record.Kind, out var kind) || !kind.IsPathDestination(request.Destination)) return null;
        var path = (request.ResolvePath ?? Path.GetFullPath)(request.Destination);
        return targetCount > 1 ? Path.Combine(path, record.Name) : path;
    }
}
