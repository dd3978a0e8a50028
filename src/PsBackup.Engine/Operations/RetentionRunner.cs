using System.Globalization;
using System.Runtime.CompilerServices;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers;
using PsBackup.Engine.Providers.Capabilities;
using PsBackup.Engine.Repository;
using PsBackup.Engine.Retention;

namespace PsBackup.Engine.Operations;

/// <summary>
/// Invoke-RetentionPolicy. Planning reads and changes nothing (that is -WhatIf). Applying takes
/// the collection's lock, plans again under it (the repository may have changed since), and
/// deletes only what both plans agree on and the caller approved: children before parents,
/// each backup manifest first, and never a backup that something not deleted still needs.
/// </summary>
internal sealed class RetentionRunner(EngineOptions options)
{
    public const string Operation = "Invoke-RetentionPolicy";

    public static async Task<List<RetentionDecision>> PlanAsync(RetentionRequest request, CancellationToken ct)
    {
        using var repository = await CollectionAccess.OpenRepositoryAsync(request.Repository, ct).ConfigureAwait(false);
        var plan = await PlanAsync(repository, request, ct).ConfigureAwait(false);
        return [.. plan.Decisions, .. plan.Log.Select(i => LogRetention.Describe(i.Range, plan.Definition.Name, repository.Location))];
    }

    /// <summary>Deletes the approved deletions; yields each deleted backup as it goes, then every other decision.</summary>
    public async IAsyncEnumerable<RetentionDecision> ApplyAsync(RetentionRequest request, IReadOnlySet<string> approved,
        IProgress<BackupProgress>? progress, [EnumeratorCancellation] CancellationToken ct)
    {
        using var repository = await CollectionAccess.OpenRepositoryAsync(request.Repository, ct).ConfigureAwait(false);
        var (definition, _) = await ResolveAsync(repository, request, ct).ConfigureAwait(false); // a bad policy or collection fails before locking
        await using var collectionLock = await CollectionLock.AcquireAsync(repository.Store, definition.Name, Operation, options.LockLease, ct).ConfigureAwait(false);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, collectionLock.Lost);
        var token = linked.Token;
        var whole = await PlanAsync(repository, request, token).ConfigureAwait(false);
        var plan = whole.Decisions;
        var orphans = whole.Orphans;

        var order = DeletionOrder(plan.Where(d => d.Action == RetentionAction.Delete && approved.Contains(d.BackupId)));
        var deleting = order.ToHashSet();
        var survivors = plan.Where(d => !deleting.Contains(d)).ToHashSet();
        var neededBy = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var survivor in survivors)
            if (survivor.ParentId != null) neededBy.TryAdd(survivor.ParentId, survivor.BackupId);
        var done = 0;
        foreach (var decision in order)
        {
            // A backup that something surviving builds on stays (its deletion was declined, or it is new since the first plan).
            if (neededBy.TryGetValue(decision.BackupId, out var dependant))
            {
                decision.ReasonList = [.. decision.ReasonList, $"not deleted: {dependant} builds on it"];
                decision.Reasons = string.Join("; ", decision.ReasonList);
                survivors.Add(decision);
                if (decision.ParentId != null) neededBy.TryAdd(decision.ParentId, decision.BackupId);
                continue;
            }
            progress?.Report(new BackupProgress(Operation, $"Deleting {(decision.Unfinished ? "unfinished " : "")}backup {decision.BackupId}", decision.BackupId, done, order.Count));
            await DeleteAsync(repository, collectionLock, decision, orphans.Contains(decision.BackupId), ct, token).ConfigureAwait(false);
            decision.Deleted = true;
            done++;
            yield return decision;
        }
        // Then the archived log, judged by the backups that actually stayed.
        var deleted = order.Where(d => d.Deleted).Select(d => d.BackupId).ToHashSet(StringComparer.Ordinal);
        await foreach (var decision in LogRetention.ApplyAsync(repository, whole.Definition, whole.Log, whole.Backups.Where(b => !deleted.Contains(b.Manifest.Id)),
                           whole.Rules.LogWithin, whole.Now, approved, collectionLock, progress, ct, token).ConfigureAwait(false))
            yield return decision;
        foreach (var decision in plan.Where(survivors.Contains))
            yield return decision;
    }

    private static async Task DeleteAsync(BackupRepository repository, CollectionLock collectionLock, RetentionDecision decision, bool evidenceOnly,
        CancellationToken ct, CancellationToken token)
    {
        try
        {
            await collectionLock.EnsureHeldAsync(token).ConfigureAwait(false);
            if (decision.Unfinished)
                await repository.DeleteUnfinishedAsync(decision.Collection, decision.BackupId, token).ConfigureAwait(false);
            else if (!evidenceOnly)
                await repository.DeleteBackupAsync(decision.Collection, decision.BackupId, token).ConfigureAwait(false);
            // The drills' evidence goes after its backup: an interruption between leaves evidence without a backup, which the next run deletes.
            if (decision.DrillRecords > 0)
                await DrillEvidence.DeleteAsync(repository, decision.Collection, decision.BackupId, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (collectionLock.Lost.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new LockLostException($"Collection '{decision.Collection}': the lock was taken over during retention; it stopped before deleting '{decision.BackupId}'.");
        }
    }

    /// <summary>Unfinished folders first (nothing depends on them), then children before their parents.</summary>
    private static List<RetentionDecision> DeletionOrder(IEnumerable<RetentionDecision> deletions)
    {
        var list = deletions.ToList();
        var byId = list.ToDictionary(d => d.BackupId);
        var depth = new Dictionary<string, int>();
        int Depth(RetentionDecision d)
        {
            if (depth.TryGetValue(d.BackupId, out var known)) return known;
            depth[d.BackupId] = 0; // a cycle (corrupt parents) ends here
            var value = d.ParentId != null && byId.TryGetValue(d.ParentId, out var parent) ? Depth(parent) + 1 : 0;
            return depth[d.BackupId] = value;
        }
        return [.. list.OrderByDescending(d => d.Unfinished).ThenByDescending(Depth).ThenByDescending(d => d.StartTime).ThenByDescending(d => d.BackupId, StringComparer.Ordinal)];
    }

    /// <summary>The collection and the rules to apply: the request's policy, else the stored one.</summary>
    private static async Task<(CollectionDefinition Definition, RetentionRules Rules)> ResolveAsync(BackupRepository repository, RetentionRequest request, CancellationToken ct)
    {
        Names.Validate(request.Collection, "Collection");
        var definition = await repository.GetCollectionAsync(request.Collection, ct).ConfigureAwait(false);
        var policy = request.Policy
                     ?? (definition.Retention is { } stored ? RetentionPolicyJson.FromJson(stored, definition.Name, strict: true) : null)
                     ?? throw new InvalidBackupRequestException("NoRetentionPolicy",
                         $"Collection '{definition.Name}' has no retention policy. Give one (-KeepDaily 30 -KeepWeekly 12 …, or -RetentionPolicy), or store one with Set-BackupCollection -RetentionPolicy.")
                     { TargetObject = definition.Name };
        return (definition, RetentionRules.From(policy, request.TimeZone));
    }

    /// <summary>The decisions on backups and unfinished folders (oldest first), what they were made from, the archived log's stretches, and the ids of backups that are gone but left drill evidence (to delete).</summary>
    private sealed record Plan(List<RetentionDecision> Decisions, List<CommittedBackup> Backups, CollectionDefinition Definition, RetentionRules Rules, DateTimeOffset Now,
        List<LogRetention.Item> Log, HashSet<string> Orphans);

    private static async Task<Plan> PlanAsync(BackupRepository repository, RetentionRequest request, CancellationToken ct)
    {
        var (definition, rules) = await ResolveAsync(repository, request, ct).ConfigureAwait(false);
        var now = request.Now ?? DateTimeOffset.UtcNow;

        // Strict: retention deletes nothing in a collection it cannot fully read (a damaged manifest or labels document, a loop of parents).
        var backups = await repository.ListCommittedAsync(definition.Name, withLabels: true, ct).ConfigureAwait(false);
        var byId = backups.ToDictionary(b => b.Manifest.Id);
        if (BackupChain.Loops(byId.ToDictionary(b => b.Key, b => b.Value.Manifest)) is [var looping, ..])
            throw new ChainBrokenException($"Collection '{definition.Name}': the chain of backup '{looping}' loops back on itself (its parents were edited). " +
                                           "Retention deletes nothing until it is repaired or removed.") { TargetObject = looping };
        var decisions = RetentionPlanner.Plan(backups.Select(Candidate).ToList(), rules, now)
            .Select(v => Describe(byId[v.Backup.Id], v, repository)).ToList();

        var cutoff = now - request.UnfinishedGracePeriod;
        foreach (var folder in await repository.ListUnfinishedAsync(definition.Name, ct).ConfigureAwait(false))
            decisions.Add(Describe(folder, definition.Name, repository, cutoff, request.UnfinishedGracePeriod));

        // Drill records go with their backup; those whose backup is gone (a drill that finished after retention deleted it) are deleted.
        var drills = (await DrillEvidence.ListAsync(repository, definition.Name, ct).ConfigureAwait(false)).GroupBy(k => k.Backup).ToDictionary(g => g.Key, g => g.Count());
        foreach (var decision in decisions)
            decision.DrillRecords = drills.GetValueOrDefault(decision.BackupId);
        var orphans = drills.Keys.Where(id => !decisions.Exists(d => d.BackupId == id)).ToHashSet(StringComparer.Ordinal);
        foreach (var id in orphans)
            decisions.Add(Orphan(id, definition.Name, repository, drills[id]));
        var keptIds = decisions.Where(d => d.Action == RetentionAction.Keep && !d.Unfinished).Select(d => d.BackupId).ToHashSet(StringComparer.Ordinal);
        var staying = backups.Where(b => keptIds.Contains(b.Manifest.Id));
        var log = await LogRetention.PlanAsync(repository, definition, staying, rules.LogWithin, now, ct).ConfigureAwait(false);
        return new Plan([.. decisions.OrderBy(d => d.StartTime).ThenBy(d => d.BackupId, StringComparer.Ordinal)], backups, definition, rules, now, log, orphans);
    }

    private static RetentionDecision Orphan(string id, string collection, BackupRepository repository, int records)
    {
        string[] reasons = [$"drill evidence only: backup {id} no longer exists"];
        return new RetentionDecision
        {
            BackupId = id,
            Collection = collection,
            Repository = repository.Location,
            Type = BackupId.TypeOf(id),
            StartTime = BackupId.TimeOf(id),
            Action = RetentionAction.Delete,
            ReasonList = reasons,
            Reasons = reasons[0],
            DrillRecords = records,
        };
    }

    private static RetentionCandidate Candidate(CommittedBackup backup)
    {
        var manifest = backup.Manifest;
        var required = manifest.Targets
            .SelectMany(t => EngineKinds.TryFind(t.Kind, out var kind) && kind is IRetentionDependencies provider ? provider.RequiredBackups(manifest, t) : [])
            .Distinct(StringComparer.Ordinal).ToList();
        return new RetentionCandidate(manifest.Id, manifest.Type, manifest.StartTime, manifest.Parent)
        {
            Complete = manifest.Status == BackupStatus.Complete,
            Pinned = backup.Labels.Pinned,
            Tags = backup.Labels.Tags,
            Requires = required,
        };
    }

    private static RetentionDecision Describe(CommittedBackup backup, RetentionVerdict verdict, BackupRepository repository)
    {
        string[] reasons = verdict.Keep ? [.. verdict.Reasons] : ["no rule keeps it"];
        return new RetentionDecision
        {
            BackupId = backup.Manifest.Id,
            Collection = backup.Manifest.Collection,
            Repository = repository.Location,
            Type = backup.Manifest.Type,
            StartTime = backup.Manifest.StartTime,
            ParentId = backup.Manifest.Parent,
            Action = verdict.Keep ? RetentionAction.Keep : RetentionAction.Delete,
            ReasonList = reasons,
            Reasons = string.Join("; ", reasons),
            Pinned = backup.Labels.Pinned,
            Tags = [.. backup.Labels.Tags],
            StoredBytes = backup.StoredBytes,
        };
    }

    private static RetentionDecision Describe(BackupFolder folder, string collection, BackupRepository repository, DateTimeOffset cutoff, TimeSpan grace)
    {
        var expired = folder.LastWritten <= cutoff;
        var written = folder.LastWritten.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        string[] reasons = expired
            ? [$"unfinished: no manifest, last written {written}"]
            : [$"unfinished: no manifest, last written {written}, within the grace period of {CalendarBuckets.Span(grace)}"];
        return new RetentionDecision
        {
            BackupId = folder.Id,
            Collection = collection,
            Repository = repository.Location,
            Type = folder.Id.Contains("_full_", StringComparison.Ordinal) ? BackupType.Full : BackupType.Incremental,
            StartTime = DateTimeOffset.ParseExact(folder.Id[..16], "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
            Action = expired ? RetentionAction.Delete : RetentionAction.Keep,
            ReasonList = reasons,
            Reasons = string.Join("; ", reasons),
            Unfinished = true,
            StoredBytes = folder.StoredBytes,
        };
    }
}
