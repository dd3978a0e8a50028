using System.Diagnostics;
using Newtonsoft.Json.Linq;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers;
using PsBackup.Engine.Providers.Capabilities;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Operations;

/// <summary>
/// Start-Failover, backup-aware: assess what promoting a replica would lose (refuse above the limit,
/// changing nothing), run the caller's hooks around the promotion, promote, check the promoted server
/// takes a write, point the collection at it (the old server recorded in collection.json's
/// "failovers"), and start a new chain with a full backup. Each step is reported as it ends.
/// </summary>
internal sealed class FailoverRunner(EngineOptions options)
{
    private sealed record Assessment(CollectionScope Scope, BackupTarget Target, IFailover Replication, string OldPrimary, bool OldPrimaryReachable,
        ReplicaState Standby, DataLossEstimate Estimate, FailoverPlan Plan);

    /// <summary>-WhatIf: what would be promoted and what it would lose; changes nothing.</summary>
    public static async Task<FailoverPlan> PlanAsync(FailoverRequest request, CancellationToken ct)
    {
        using var repository = await OpenAsync(request, ct).ConfigureAwait(false);
        return (await AssessAsync(request, repository, ct).ConfigureAwait(false)).Plan;
    }

    public async Task<FailoverSummary> RunAsync(FailoverRequest request, Action<FailoverStep> onStep, IProgress<BackupProgress>? progress, CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        var total = Stopwatch.StartNew();
        using var repository = await OpenAsync(request, ct).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        var a = await AssessAsync(request, repository, ct).ConfigureAwait(false);
        var plan = a.Plan;
        var collection = a.Scope.Name;
        FailoverStep Step(string name, FailoverStepStatus status, string detail)
        {
            var step = new FailoverStep { Step = name, Collection = collection, Target = a.Target.Name, Status = status, Duration = clock.Elapsed, Detail = SecretMasker.Hide(detail) };
            onStep(step);
            clock.Restart();
            return step;
        }
        var assessed = $"{a.Estimate.Basis}; estimated data loss {Bytes(a.Estimate.Bytes)} (limit {request.MaxDataLossBytes} bytes)";
        if (plan.WouldRefuse && !request.Force)
        {
            Step("Assess", FailoverStepStatus.Refused, assessed + "; nothing was changed");
            throw new FailoverDataLossException(
                $"Failing over target '{a.Target.Name}' of collection '{collection}' to {plan.NewPrimary} would lose {Bytes(a.Estimate.Bytes)}, more than -MaxDataLoss {request.MaxDataLossBytes} bytes ({a.Estimate.Basis}). " +
                "Nothing was changed. Wait for the replica to catch up, raise -MaxDataLoss, or accept the loss with -Force.") { TargetObject = collection };
        }
        Step("Assess", FailoverStepStatus.Done, assessed + (plan.WouldRefuse ? "; accepted with -Force" : ""));

        var hook = new FailoverHookContext(collection, a.Target.Name, a.OldPrimary, plan.NewPrimary, a.Estimate.Bytes);
        var credential = request.Credentials.For(a.Target.Name);
        if (request.BeforePromote != null)
        {
            await HookAsync("BeforePromote", request.BeforePromote, hook, $"nothing was promoted: {a.OldPrimary} is still the target's primary and {plan.NewPrimary} still a replica", Step, ct).ConfigureAwait(false);
            a = await ReassessAsync(request, a, Step, ct).ConfigureAwait(false);
        }

        await StepAsync("Promote", () => a.Replication.PromoteAsync(a.Target, plan.NewPrimary, credential, ct),
            $"promoted {plan.NewPrimary}", $"the promotion of {plan.NewPrimary} failed; the collection still points at {a.OldPrimary}", Step).ConfigureAwait(false);
        await StepAsync("Verify", () => a.Replication.VerifyWritableAsync(a.Target, plan.NewPrimary, credential, ct),
            $"{plan.NewPrimary} accepted a write", $"{plan.NewPrimary} was promoted but takes no write; the collection still points at {a.OldPrimary}", Step).ConfigureAwait(false);
        await StepAsync("Repoint", () => RepointAsync(a, repository, ct),
            $"collection '{collection}' now points at {plan.NewPrimary}; {a.OldPrimary} recorded in its failover history",
            $"{plan.NewPrimary} is promoted and writable, but collection '{collection}' still points at {a.OldPrimary}: Set-BackupCollection by hand", Step).ConfigureAwait(false);
        if (request.AfterPromote != null)
            await HookAsync("AfterPromote", request.AfterPromote, hook, $"{plan.NewPrimary} is promoted, writable and the collection points at it", Step, ct).ConfigureAwait(false);
        var failoverTime = total.Elapsed;

        var summary = new FailoverSummary
        {
            Collection = collection, Target = a.Target.Name, OldPrimary = a.OldPrimary, NewPrimary = plan.NewPrimary, OldPrimaryReachable = a.OldPrimaryReachable,
            EstimatedDataLossBytes = a.Estimate.Bytes, DataLossBasis = SecretMasker.Hide(a.Estimate.Basis), FailoverTime = failoverTime, StartTime = started,
        };
        if (request.Backup)
        {
            try
            {
                var backup = await new BackupRunner(options).RunAsync(new BackupRequest(collection)
                {
                    Repository = request.Repository, Type = BackupType.Full, Passphrase = request.Passphrase, Credentials = request.Credentials,
                }, progress, ct).ConfigureAwait(false);
                var failed = backup.Failures.Select(f => $"'{f.Target}': {f.Error.Message}").ToList();
                summary.NewBackupId = backup.Backup.Status == BackupStatus.Complete ? backup.Backup.Id : "";
                Step("Backup", failed.Count == 0 ? FailoverStepStatus.Done : FailoverStepStatus.Failed, failed.Count == 0
                    ? $"full backup {backup.Backup.Id} starts a new chain on {plan.NewPrimary}"
                    : $"full backup {backup.Backup.Id} is partial ({string.Join("; ", failed)}): take a full backup once the new primary is healthy");
            }
            catch (PsBackupException e)
            {
                Step("Backup", FailoverStepStatus.Failed, $"the failover is done, but the full backup that starts the new chain failed ({e.ErrorId}: {e.Message}): run Invoke-Backup -Name {collection}");
            }
        }
        else
        {
            Step("Backup", FailoverStepStatus.Skipped, $"no backup was started: run Invoke-Backup -Name {collection} so point-in-time recovery continues on {plan.NewPrimary}");
        }
        summary.EndTime = DateTimeOffset.UtcNow;
        return summary;
    }

    private static Task<BackupRepository> OpenAsync(FailoverRequest request, CancellationToken ct)
    {
        Names.Validate(request.Collection, "Collection");
        if (request.Target != null) Names.Validate(request.Target, "Target");
        if (request.MaxDataLossBytes < 0)
            throw new InvalidBackupRequestException("InvalidMaxDataLoss", "-MaxDataLoss is a number of bytes, 0 or more.");
        return CollectionAccess.OpenRepositoryAsync(request.Repository, ct);
    }

    private static async Task<Assessment> AssessAsync(FailoverRequest request, BackupRepository repository, CancellationToken ct)
    {
        var definition = await repository.GetCollectionAsync(request.Collection, ct).ConfigureAwait(false);
        var targets = CollectionAccess.Describe(definition, repository).Targets;
        var replicating = targets.Where(t => EngineKinds.For(t) is IFailover).ToList();
        var target = request.Target != null
            ? targets.FirstOrDefault(t => t.Name.Equals(request.Target, StringComparison.OrdinalIgnoreCase))
              ?? throw new InvalidBackupRequestException("TargetNotFound", $"Collection '{definition.Name}' has no target '{request.Target}' (it has {string.Join(", ", targets.Select(t => t.Name))}).")
            : replicating.Count == 1 ? replicating[0]
            : throw new InvalidBackupRequestException("FailoverTargetAmbiguous", replicating.Count == 0
                ? $"Collection '{definition.Name}' has no target whose servers replicate (kinds that can fail over: {string.Join(", ", EngineKinds.With<IFailover>())})."
                : $"Collection '{definition.Name}' has several targets that can fail over ({string.Join(", ", replicating.Select(t => t.Name))}): name one with -Target.");
        if (EngineKinds.For(target) is not IFailover replication)
            throw new InvalidBackupRequestException("FailoverNotSupported", $"Target '{target.Name}' is of kind {target.Kind}, which cannot fail over (kinds that can: {string.Join(", ", EngineKinds.With<IFailover>())}).");
        var credential = request.Credentials.For(target.Name);
        var servers = await replication.GetReplicationAsync(target, credential, ct).ConfigureAwait(false);
        var standby = ChooseStandby(request, target, servers);
        var old = servers.FirstOrDefault(s => s.Role == ReplicaRole.Primary) ?? servers.FirstOrDefault(s => !s.Reachable);
        var oldPrimary = old?.Endpoint ?? target.Location;
        var scope = new CollectionScope(repository, definition, CollectionAccess.UnlockKey(definition, request.Passphrase, required: false));
        var estimate = await replication.EstimateDataLossAsync(scope, target, servers, standby, credential, ct).ConfigureAwait(false);
        var refuse = estimate.Bytes == null || estimate.Bytes > request.MaxDataLossBytes;
        var plan = new FailoverPlan(definition.Name, target.Name, target.Kind, oldPrimary, old?.Reachable ?? false, standby.Endpoint,
            estimate.Bytes, SecretMasker.Hide(estimate.Basis), request.MaxDataLossBytes, refuse);
        return new Assessment(scope, target, replication, oldPrimary, old?.Reachable ?? false, standby, estimate, plan);
    }

    /// <summary>The replica asked for, else the reachable one with its link up and the least lag.</summary>
    private static ReplicaState ChooseStandby(FailoverRequest request, BackupTarget target, IReadOnlyList<ReplicaState> servers)
    {
        var replicas = servers.Where(s => s.Role == ReplicaRole.Replica && s.Reachable).ToList();
        if (request.Standby != null)
        {
            var asked = request.Standby.Trim();
            var server = servers.FirstOrDefault(s => s.Endpoint.Equals(asked, StringComparison.OrdinalIgnoreCase))
                ?? throw new NoStandbyException($"Target '{target.Name}' names no server {asked} (it names {string.Join(", ", servers.Select(s => s.Endpoint))}).");
            return replicas.Contains(server) ? server
                : throw new NoStandbyException($"{asked} cannot be promoted: {(server.Reachable ? $"it is not a replica ({server.Role})" : "it does not answer")}. {server.Message}");
        }
        return replicas.OrderByDescending(r => r.LinkUp).ThenBy(r => r.LagBytes ?? long.MaxValue).FirstOrDefault()
            ?? throw new NoStandbyException($"Target '{target.Name}' has no reachable replica to promote ({string.Join("; ", servers.Select(s => $"{s.Endpoint}: {s.Message}"))}). " +
                                            "Name the target's replicas (New-BackupTarget, Set-BackupCollection -Standby).");
    }

    /// <summary>collection.json patched as JSON under the lock: the target's fields replaced, the old endpoint appended to "failovers".</summary>
    private async Task RepointAsync(Assessment a, BackupRepository repository, CancellationToken ct)
    {
        var name = a.Scope.Name;
        var moved = TargetSerializer.ToJson(a.Replication.PointAt(a.Target, a.OldPrimary, a.Plan.NewPrimary));
        await using var _ = await CollectionLock.AcquireAsync(repository.Store, name, "Start-Failover", options.LockLease, ct).ConfigureAwait(false);
        var document = await repository.ReadCollectionDocumentAsync(name, ct).ConfigureAwait(false);
        var entry = (document["targets"] as JArray)?.OfType<JObject>().FirstOrDefault(t => (string?)t["name"] == a.Target.Name)
                    ?? throw new FailoverFailedException($"Collection '{name}' no longer has target '{a.Target.Name}'.");
        foreach (var property in moved.Properties()) entry[property.Name] = property.Value.DeepClone();
        if (document["failovers"] is not JArray history) document["failovers"] = history = [];
        history.Add(new JObject
        {
            ["time"] = DateTimeOffset.UtcNow.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss.fffffffK", System.Globalization.CultureInfo.InvariantCulture),
            ["target"] = a.Target.Name,
            ["from"] = a.OldPrimary,
            ["to"] = a.Plan.NewPrimary,
            ["fromReachable"] = a.OldPrimaryReachable,
            ["estimatedDataLossBytes"] = a.Estimate.Bytes,
        });
        await repository.WriteCollectionDocumentAsync(name, document, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// -BeforePromote may have fenced the old primary or stopped its writers, and time has passed: the standby
    /// may have caught up or the primary written more. Replication is read again and the loss re-estimated
    /// just before promoting, under the same limit; refused (unless -Force), nothing is promoted.
    /// </summary>
    private static async Task<Assessment> ReassessAsync(FailoverRequest request, Assessment a, Func<string, FailoverStepStatus, string, FailoverStep> step, CancellationToken ct)
    {
        var collection = a.Scope.Name;
        var newPrimary = a.Plan.NewPrimary;
        var state = $"nothing was promoted and collection '{collection}' still points at {a.OldPrimary}; what -BeforePromote did is not undone";
        ReplicaState standby;
        DataLossEstimate estimate;
        try
        {
            var credential = request.Credentials.For(a.Target.Name);
            var servers = await a.Replication.GetReplicationAsync(a.Target, credential, ct).ConfigureAwait(false);
            standby = ChooseStandby(request with { Standby = newPrimary }, a.Target, servers);
            estimate = await a.Replication.EstimateDataLossAsync(a.Scope, a.Target, servers, standby, credential, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is PsBackupException or IOException)
        {
            step("Reassess", FailoverStepStatus.Failed, $"{e.Message} State: {state}.");
            throw new FailoverFailedException($"Start-Failover stopped at step Reassess (after -BeforePromote): {e.Message} State: {state}.", e) { TargetObject = collection };
        }
        var refuse = estimate.Bytes == null || estimate.Bytes > request.MaxDataLossBytes;
        var detail = $"after -BeforePromote: {estimate.Basis}; estimated data loss {Bytes(estimate.Bytes)} (limit {request.MaxDataLossBytes} bytes; {Bytes(a.Estimate.Bytes)} at the assessment)";
        if (refuse && !request.Force)
        {
            step("Reassess", FailoverStepStatus.Refused, $"{detail}; {state}");
            throw new FailoverDataLossException(
                $"After -BeforePromote, failing over target '{a.Target.Name}' of collection '{collection}' to {newPrimary} would lose {Bytes(estimate.Bytes)}, more than -MaxDataLoss {request.MaxDataLossBytes} bytes " +
                $"({estimate.Basis}; the assessment before the hook estimated {Bytes(a.Estimate.Bytes)}). State: {state}. " +
                "Let the replica catch up and run Start-Failover again, raise -MaxDataLoss, or accept the loss with -Force.") { TargetObject = collection };
        }
        step("Reassess", FailoverStepStatus.Done, detail + (refuse ? "; accepted with -Force" : ""));
        var plan = a.Plan with { EstimatedDataLossBytes = estimate.Bytes, Basis = SecretMasker.Hide(estimate.Basis), WouldRefuse = refuse };
        return a with { Standby = standby, Estimate = estimate, Plan = plan };
    }

    private static async Task StepAsync(string name, Func<Task> work, string done, string failedState, Func<string, FailoverStepStatus, string, FailoverStep> step)
    {
        try
        {
            await work().ConfigureAwait(false);
        }
        catch (Exception e) when (e is PsBackupException or IOException)
        {
            step(name, FailoverStepStatus.Failed, $"{e.Message} State: {failedState}.");
            throw e is FailoverFailedException ? e : new FailoverFailedException($"Start-Failover stopped at step {name}: {e.Message} State: {failedState}.", e);
        }
        step(name, FailoverStepStatus.Done, done);
    }

    private static async Task HookAsync(string name, Func<FailoverHookContext, CancellationToken, Task> hook, FailoverHookContext context, string state,
        Func<string, FailoverStepStatus, string, FailoverStep> step, CancellationToken ct)
    {
        try
        {
            await hook(context, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            step(name, FailoverStepStatus.Failed, $"the script block threw: {e.Message} State: {state}.");
            throw new FailoverHookFailedException($"-{name} failed, so Start-Failover stopped: {e.Message} State: {state}.", e) { TargetObject = context.Collection };
        }
        step(name, FailoverStepStatus.Done, "the script block ran");
    }

    private static string Bytes(long? bytes) => bytes == null ? "an unknown amount" : $"{bytes} bytes";
}
