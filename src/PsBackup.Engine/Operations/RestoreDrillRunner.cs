using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers;
using PsBackup.Engine.Providers.Capabilities;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Operations;

/// <summary>One drilled target: its result, the error to report when it failed, and what the restore warned about.</summary>
public sealed record RestoreDrillOutcome(RestoreDrillResult Result, PsBackupException? Error)
{
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Where the drill's time went, stage by stage (<see cref="DrillStages"/>): for the verbose stream; empty when no scratch place was made.</summary>
    public string Stages { get; init; } = "";
}

/// <summary>
/// Invoke-RestoreDrill. Per target: a scratch place from its kind (<see cref="IRestoreDrill"/>), the
/// normal restore into it (<see cref="RestoreRunner.RestoreTargetAsync"/>), the kind's start-up step,
/// the kind's checks, and — in a finally, so also on failure and cancellation — the scratch place
/// removed. Times are measured around those steps. Then one drill record per backup drilled is
/// written to the repository (<see cref="DrillEvidence"/>). Takes no lock: it only reads backups
/// and writes records of its own.
/// </summary>
internal static class RestoreDrillRunner
{
    private static readonly string Tool = $"PsBackup {typeof(RestoreDrillRunner).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]}";

    /// <summary>-WhatIf: one plan per collection the request names; changes nothing.</summary>
    public static async Task<List<RestoreDrillPlan>> PlanAsync(RestoreDrillRequest request, CancellationToken ct)
    {
        foreach (var (name, objective) in new[] { ("-MaxRto", request.MaxRto), ("-MaxRpo", request.MaxRpo) })
            if (objective is { } span && span <= TimeSpan.Zero)
                throw new InvalidBackupRequestException("InvalidObjective", $"{name} {span} is not an objective: give a positive time span (for example 04:00:00 for four hours).");
        using var repository = await CollectionAccess.OpenRepositoryAsync(request.Repository, ct).ConfigureAwait(false);
        var plans = new List<RestoreDrillPlan>();
        foreach (var collection in await RestoreDrillPlanner.CollectionsAsync(repository, request.Collection, ct).ConfigureAwait(false))
            plans.Add(await RestoreDrillPlanner.PlanAsync(repository, collection, request, ct).ConfigureAwait(false));
        return plans;
    }

    public static async IAsyncEnumerable<RestoreDrillOutcome> RunAsync(RestoreDrillRequest request, IProgress<BackupProgress>? progress,
        [EnumeratorCancellation] CancellationToken ct)
    {
        foreach (var plan in await PlanAsync(request, ct).ConfigureAwait(false))
        {
            var drillId = DrillRecord.NewId(DateTimeOffset.UtcNow);
            var steps = plan.Steps.Where(s => request.Approved == null || request.Approved.Contains(s.Key)).ToList();
            foreach (var step in steps.Where(s => s.BackupId.Length == 0))
                yield return Failed(drillId, plan.Collection, step, new BackupNotFoundException(
                    $"Collection '{plan.Collection}' has no backup holding a complete copy of target '{step.Target}'{(request.PointInTime is { } t ? $" that ended by {t:u}" : "")}: nothing to drill.") { TargetObject = step.Target });
            foreach (var group in steps.Where(s => s.BackupId.Length > 0).GroupBy(s => s.BackupId).OrderBy(g => g.Key, StringComparer.Ordinal))
                await foreach (var outcome in DrillBackupAsync(request, plan.Collection, group.Key, [.. group], drillId, progress, ct).ConfigureAwait(false))
                    yield return outcome;
        }
    }

    /// <summary>Drills the planned targets of one backup, then records the evidence (only when every step ran: an interrupted drill records nothing).</summary>
    private static async IAsyncEnumerable<RestoreDrillOutcome> DrillBackupAsync(RestoreDrillRequest request, string collection, string backupId,
        List<RestoreDrillPlanStep> steps, string drillId, IProgress<BackupProgress>? progress, [EnumeratorCancellation] CancellationToken ct)
    {
        OpenedBackup backup;
        PsBackupException? openError = null;
        try
        {
            backup = await OpenedBackup.OpenAsync(request.Repository, collection, backupId, request.Passphrase, ct).ConfigureAwait(false);
        }
        catch (PsBackupException e)
        {
            openError = e;
            backup = null!;
        }
        if (openError != null)
        {
            foreach (var step in steps) yield return Failed(drillId, collection, step, openError);
            yield break;
        }
        using var _ = backup;
        var start = DateTimeOffset.UtcNow;
        var targets = RestoreRunner.Targets(backup);
        var outcomes = new List<RestoreDrillOutcome>();
        foreach (var step in steps)
        {
            progress?.Report(new BackupProgress("Restore drill", $"Target '{step.Target}' of backup {backupId}", step.Target, 0, -1));
            var outcome = await DrillTargetAsync(request, backup, targets, step, drillId, progress, ct).ConfigureAwait(false);
            outcomes.Add(outcome);
        }
        // Stopped (Ctrl+C) after its last check: the run was abandoned, so it leaves no evidence, as a stop during it does.
        ct.ThrowIfCancellationRequested();
        await RecordAsync(backup, request, drillId, start, outcomes, ct).ConfigureAwait(false);
        foreach (var outcome in outcomes) yield return outcome;
    }

    private static async Task<RestoreDrillOutcome> DrillTargetAsync(RestoreDrillRequest request, OpenedBackup backup,
        Dictionary<string, BackupTarget> targets, RestoreDrillPlanStep step, string drillId, IProgress<BackupProgress>? progress, CancellationToken ct)
    {
        var result = NewResult(drillId, backup.Head.Collection, step, backup.Repository.Location, request);
        var clock = Stopwatch.StartNew();
        var record = backup.Head.Targets.Find(t => t.Name == step.Target);
        if (record == null || !targets.TryGetValue(step.Target, out var target))
            return Finish(result, clock, [], new BackupNotFoundException($"Backup '{step.BackupId}' holds no target '{step.Target}'."), request);
        if (!EngineKinds.TryFind(record.Kind, out var kind) || kind is not IRestoreDrill drill)
            return Finish(result, clock, [], new InvalidBackupRequestException("DrillNotSupported",
                $"Target '{step.Target}' is a {record.Kind} target, which has no restore drill (drills exist for {string.Join(", ", EngineKinds.With<IRestoreDrill>())} targets).") { TargetObject = step.Target }, request);

        var settings = RestoreDrillPlanner.Settings(request, target, drillId);
        DrillScratch? scratch = null;
        IReadOnlyList<DrillCheck> checks = [];
        PsBackupException? error = null;
        IReadOnlyList<string> warnings = [];
        try
        {
            var scratchClock = Stopwatch.StartNew();
            scratch = await drill.CreateScratchAsync(target, settings, ct).ConfigureAwait(false);
            scratch.Stages.Add("scratch", scratchClock.Elapsed);
            result.RestoredTo = SecretMasker.Hide(scratch.Location);
            var restore = new RestoreRequest(step.BackupId)
            {
                Repository = request.Repository,
                Collection = backup.Head.Collection,
                Destination = scratch.Destination,
                Credentials = request.Credentials,
                ThrottleLimit = request.ThrottleLimit,
                Recovery = settings.Recovery,
                Options = scratch.RestoreOptions is { } options ? [options] : [],
            };
            var restoreClock = Stopwatch.StartNew();
            var (outcome, context) = await RestoreRunner.RestoreTargetAsync(backup, targets, record, restore, 1, progress, ct).ConfigureAwait(false);
            scratch.Stages.Add("restore", restoreClock.Elapsed);
            warnings = outcome.Warnings;
            if (outcome.Error != null)
            {
                error = outcome.Error;
            }
            else
            {
                using (scratch.Stages.Time("start"))
                    await scratch.StartAsync(context!, ct).ConfigureAwait(false);
                result.RestoreDuration = restoreClock.Elapsed;
                var restoredAt = DateTimeOffset.UtcNow;
                progress?.Report(new BackupProgress("Restore drill", $"Checking target '{step.Target}'", step.Target, 0, -1));
                using (scratch.Stages.Time("checks"))
                    checks = await drill.VerifyAsync(context!, scratch, ct).ConfigureAwait(false);
                result.RestoredPointInTime = scratch.RestoredPointInTime
                                             ?? await RecoveredToAsync(backup, target, record, kind, settings.Recovery, ct).ConfigureAwait(false);
                result.DataLoss = restoredAt - result.RestoredPointInTime;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            error = Failures.Of(e, step.Target, OperationKind.Restore);
        }
        finally
        {
            if (scratch != null)
            {
                result.RestoredTo = SecretMasker.Hide(scratch.Location); // as it ended up (a server's port once started)
                progress?.Report(new BackupProgress("Restore drill", $"Removing the scratch place of target '{step.Target}'", step.Target, 0, -1));
                PsBackupException? cleanup;
                using (scratch.Stages.Time("clean-up"))
                    cleanup = await DisposeAsync(scratch, step.Target).ConfigureAwait(false);
                error ??= cleanup;
                result.Kept = request.KeepRestored && cleanup == null;
            }
        }
        return Finish(result, clock, checks, error, request) with { Warnings = warnings, Stages = scratch?.Stages.ToString() ?? "" };
    }

    /// <summary>Removing a scratch place must not be skipped by cancellation, and a failure to remove it fails the drill.</summary>
    private static async Task<PsBackupException?> DisposeAsync(DrillScratch scratch, string target)
    {
        try
        {
            await scratch.DisposeAsync().ConfigureAwait(false);
            return null;
        }
        catch (Exception e)
        {
            return e as DrillCleanupFailedException ?? new DrillCleanupFailedException(
                $"The scratch place of target '{target}' ({scratch.Location}) could not be removed completely: {e.Message}. Remove it by hand.", e);
        }
    }

    /// <summary>The backup's end, or for a point-in-time kind recovering past it: the requested moment, else the end of its recovery window.</summary>
    private static async Task<DateTimeOffset> RecoveredToAsync(OpenedBackup backup, BackupTarget target, TargetRecord record, EngineKind kind,
        RecoveryTarget? recovery, CancellationToken ct)
    {
        if (recovery == null || kind is not IPointInTimeRecovery pitr) return backup.Head.EndTime;
        if (recovery.Time is { } time) return time;
        var scope = new CollectionScope(backup.Repository, backup.Definition, backup.Reader.Key);
        var all = await backup.Repository.ListBackupsAsync(backup.Head.Collection, ct).ConfigureAwait(false);
        var window = await pitr.GetWindowAsync(scope, target, all, ct).ConfigureAwait(false);
        _ = record;
        return window.Latest ?? backup.Head.EndTime;
    }

    private static RestoreDrillResult NewResult(string drillId, string collection, RestoreDrillPlanStep step, string repository, RestoreDrillRequest request) => new()
    {
        DrillId = drillId,
        Collection = collection,
        Target = step.Target,
        Kind = step.Kind,
        BackupId = step.BackupId,
        Repository = repository,
        StartTime = DateTimeOffset.UtcNow,
        MaxRto = request.MaxRto,
        MaxRpo = request.MaxRpo,
        Recovery = step.Recovery ?? "",
    };

    private static RestoreDrillOutcome Failed(string drillId, string collection, RestoreDrillPlanStep step, PsBackupException error)
    {
        var result = NewResult(drillId, collection, step, "", new RestoreDrillRequest(collection));
        return Finish(result, Stopwatch.StartNew(), [], error, new RestoreDrillRequest(collection));
    }

    /// <summary>Status, reason and error from the checks, the error and the objectives.</summary>
    private static RestoreDrillOutcome Finish(RestoreDrillResult result, Stopwatch clock, IReadOnlyList<DrillCheck> checks, PsBackupException? error, RestoreDrillRequest request)
    {
        result.Duration = clock.Elapsed;
        result.CheckList = new(checks.Select(c => new RestoreDrillCheck { Name = c.Name, Expected = c.Expected, Observed = c.Observed, Passed = c.Passed }));
        result.ChecksPassed = checks.Count(c => c.Passed);
        result.ChecksFailed = checks.Count(c => !c.Passed);
        var reasons = new List<string>();
        if (error != null) reasons.Add(error.Message);
        else if (checks.Count == 0) reasons.Add("the kind compared nothing, so nothing was proven");
        reasons.AddRange(checks.Where(c => !c.Passed).Select(c => $"{c.Name}: expected {c.Expected}, observed {c.Observed}"));
        var dataFailed = reasons.Count > 0;
        if (error == null && request.MaxRto is { } rto && result.RestoreDuration > rto)
            reasons.Add($"recovery took {Span(result.RestoreDuration)}, more than the objective -MaxRto {Span(rto)}");
        if (error == null && request.MaxRpo is { } rpo && result.DataLoss > rpo)
            reasons.Add($"{Span(result.DataLoss!.Value)} of data would be lost, more than the objective -MaxRpo {Span(rpo)}");
        result.Status = reasons.Count == 0 ? DrillStatus.Passed : DrillStatus.Failed;
        result.Reason = string.Join("; ", reasons);
        var where = $"Restore drill of target '{result.Target}' of collection '{result.Collection}'{(result.BackupId.Length > 0 ? $" (backup {result.BackupId})" : "")}";
        var reported = error != null ? error
            : dataFailed ? new RestoreDrillFailedException($"{where} failed: {result.Reason}.") { TargetObject = result.Target }
            : result.Status == DrillStatus.Failed ? new RestoreDrillObjectiveException($"{where} missed its objectives: {result.Reason}.") { TargetObject = result.Target }
            : null;
        result.ErrorId = reported?.ErrorId ?? "";
        return new RestoreDrillOutcome(result, reported);
    }

    internal static string Span(TimeSpan span) => span.TotalHours >= 1 ? span.ToString(@"d\.hh\:mm\:ss", System.Globalization.CultureInfo.InvariantCulture).TrimStart('0', '.')
        : span.ToString(@"mm\:ss\.fff", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>One drill record for the backup, unless the backup was deleted meanwhile (retention ran): then there is nothing to keep evidence for.</summary>
    private static async Task RecordAsync(OpenedBackup backup, RestoreDrillRequest request, string drillId, DateTimeOffset start,
        List<RestoreDrillOutcome> outcomes, CancellationToken ct)
    {
        var head = backup.Head;
        if (await backup.Repository.Store.StatAsync(RepositoryKeys.Manifest(head.Collection, head.Id), ct).ConfigureAwait(false) == null) return;
        var record = new DrillRecord
        {
            Id = drillId,
            Collection = head.Collection,
            Backup = head.Id,
            StartTime = start,
            EndTime = DateTimeOffset.UtcNow,
            Host = Environment.MachineName,
            User = Environment.UserName,
            Tool = Tool,
            MaxRtoSeconds = request.MaxRto?.TotalSeconds,
            MaxRpoSeconds = request.MaxRpo?.TotalSeconds,
            Targets = outcomes.Select(o => DrillRecords.ToRecord(o.Result)).ToList(),
        };
        await DrillEvidence.WriteAsync(backup.Repository, record, ct).ConfigureAwait(false);
    }
}
