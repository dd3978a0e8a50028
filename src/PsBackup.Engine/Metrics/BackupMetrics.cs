using PsBackup.Engine.Errors;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Providers;
using PsBackup.Engine.Providers.Capabilities;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Metrics;

/// <summary>
/// Export-BackupMetrics: a repository's state as Prometheus samples (docs/monitoring/README.md
/// lists them). Cheap by design: per collection one listing of its backup folders (counts, stored
/// bytes), the newest manifests only, one listing of the run journal (counters come from record
/// names) and the newest record of each operation, the newest drill record. A collection that
/// cannot be read is psbackup_collection_up 0 with its error in the log, and the others are still exported.
/// </summary>
internal static class BackupMetrics
{
    /// <summary>How many manifests back to look for a target's newest complete backup.</summary>
    private const int TargetLookBack = 10;

    /// <summary>How many collections are read at once.</summary>
    private const int Parallelism = 8;

    /// <summary>How many copy records back to look for each destination's newest copy.</summary>
    private const int CopyLookBack = 50;

    public static async Task<PrometheusText> CollectAsync(MetricsRequest request, IProgress<BackupProgress>? progress, CancellationToken ct)
    {
        foreach (var pattern in request.Collections) Names.ValidatePattern(pattern, "Collection");
        using var repository = await CollectionAccess.OpenRepositoryAsync(request.Repository, ct).ConfigureAwait(false);
        var now = request.Now ?? DateTimeOffset.UtcNow;
        var globs = request.Collections.Select(p => new Glob(p, ignoreCase: true)).ToList();
        var definitions = new List<CollectionDefinition>();
        await foreach (var definition in repository.ListCollectionsAsync(ct).ConfigureAwait(false))
            if (globs.Count == 0 || globs.Exists(g => g.IsMatch(definition.Name)))
                definitions.Add(definition);
        foreach (var name in request.Collections.Where(p => !Glob.HasWildcards(p)))
            if (!definitions.Exists(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase)))
                throw new CollectionNotFoundException(name, repository.Location);

        // Collections are read in parallel (their reads are independent and mostly wait on storage), bounded;
        // samples and warnings are then emitted in collection-name order, as a sequential export would.
        var ordered = definitions.OrderBy(d => d.Name, StringComparer.Ordinal).ToList();
        var results = new (PrometheusText Text, string? Warning)[ordered.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, ordered.Count), new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct },
            async (i, token) => results[i] = await CollectCollectionAsync(repository, ordered[i], request, now, token).ConfigureAwait(false)).ConfigureAwait(false);
        var text = new PrometheusText();
        foreach (var (collection, warning) in results)
        {
            if (warning != null) progress.Warning(warning);
            Merge(text, collection);
        }
        text.Gauge("psbackup_metrics_timestamp_seconds", "When these metrics were computed.", Seconds(now), ("repository", repository.Location));
        return text;
    }

    /// <summary>One collection's samples, ending with psbackup_collection_up; when it cannot be read, only that (0) and the warning to log.</summary>
    private static async Task<(PrometheusText, string?)> CollectCollectionAsync(BackupRepository repository, CollectionDefinition definition,
        MetricsRequest request, DateTimeOffset now, CancellationToken ct)
    {
        const string UpHelp = "1 when the collection's metrics were read, 0 when reading them failed (see the exporter's warnings).";
        var labels = new Labels(definition.Name, repository.Location);
        var text = new PrometheusText();
        try
        {
            await CollectOneAsync(repository, definition, labels, request, now, text, ct).ConfigureAwait(false);
            text.Gauge("psbackup_collection_up", UpHelp, 1, labels.Of());
            return (text, null);
        }
        catch (Exception e) when (e is PsBackupException or IOException or UnauthorizedAccessException)
        {
            text = new PrometheusText();
            text.Gauge("psbackup_collection_up", UpHelp, 0, labels.Of());
            return (text, $"Metrics of collection '{definition.Name}' not read: {SecretMasker.Hide(e.Message)}");
        }
    }

    private static async Task CollectOneAsync(BackupRepository repository, CollectionDefinition definition, Labels labels, MetricsRequest request,
        DateTimeOffset now, PrometheusText text, CancellationToken ct)
    {
        var name = definition.Name;
        var targets = CollectionAccess.Describe(definition, repository).Targets;
        foreach (var target in targets)
            text.Gauge("psbackup_target_info", "A target of a collection, with its kind.", 1, labels.Of(target));

        // Backups: committed ones are the folders holding a manifest, found by one listing (on a disk,
        // names only, with the committed backups index saying which hold one); only the newest manifests are read.
        var folders = await repository.ListCommittedIdsAsync(name, ct).ConfigureAwait(false);
        text.Gauge("psbackup_backups", "Committed backups of the collection.", folders.Count, labels.Of());
        text.Gauge("psbackup_backups_full", "Committed full backups of the collection.", folders.Count(f => BackupId.TypeOf(f) == BackupType.Full), labels.Of());
        var newestOfTarget = new Dictionary<string, (BackupManifest Manifest, TargetRecord Record)>(StringComparer.Ordinal);
        for (var i = folders.Count - 1; i >= 0 && i >= folders.Count - TargetLookBack && newestOfTarget.Count < targets.Length; i--)
        {
            var manifest = await repository.ReadManifestAsync(name, folders[i], ct).ConfigureAwait(false);
            if (i == folders.Count - 1)
            {
                text.Gauge("psbackup_last_success_timestamp_seconds", "End of the newest committed backup.", Seconds(manifest.EndTime), labels.Of());
                text.Gauge("psbackup_last_backup_duration_seconds", "Duration of the newest committed backup.", (manifest.EndTime - manifest.StartTime).TotalSeconds, labels.Of());
                text.Gauge("psbackup_last_backup_size_bytes", "Data bytes captured by the newest committed backup.", manifest.Targets.Sum(t => t.Artifacts.Sum(a => a.Size)), labels.Of());
                text.Gauge("psbackup_last_backup_stored_bytes", "Bytes the newest committed backup's artifacts occupy in the repository.", manifest.Targets.Sum(t => t.Artifacts.Sum(a => a.StoredSize)), labels.Of());
                text.Gauge("psbackup_last_backup_full", "1 when the newest committed backup is a full backup.", manifest.Type == BackupType.Full ? 1 : 0, labels.Of());
            }
            foreach (var record in manifest.Targets.Where(t => t.Status == TargetStatus.Complete))
                newestOfTarget.TryAdd(record.Name, (manifest, record));
        }
        foreach (var target in targets)
            if (newestOfTarget.TryGetValue(target.Name, out var found))
            {
                text.Gauge("psbackup_target_last_success_timestamp_seconds", "End of the newest backup in which the target succeeded.", Seconds(found.Manifest.EndTime), labels.Of(target));
                text.Gauge("psbackup_target_last_size_bytes", "Data bytes of the target in that backup.", found.Record.Artifacts.Sum(a => a.Size), labels.Of(target));
            }

        await RunMetricsAsync(repository, name, labels, folders.Count > 0 ? BackupId.TimeOf(folders[^1]) : null, text, ct).ConfigureAwait(false);
        await LockMetricsAsync(repository, name, labels, now, text, ct).ConfigureAwait(false);
        await DrillMetricsAsync(repository, name, labels, text, ct).ConfigureAwait(false);
        await KindMetricsAsync(repository, definition, targets, labels, request, now, text, ct).ConfigureAwait(false);
    }

    /// <summary>Counters from the journal's names; last run per operation from its newest record; DR copy lag per destination.</summary>
    private static async Task RunMetricsAsync(BackupRepository repository, string name, Labels labels, DateTimeOffset? newestBackupStart, PrometheusText text, CancellationToken ct)
    {
        var listing = await RunJournal.ListAsync(repository.Store, name, ct).ConfigureAwait(false);
        var counts = await RunJournal.CountAsync(repository, name, listing, ct).ConfigureAwait(false);
        foreach (var operation in Enum.GetValues<RunOperation>())
        {
            var op = RunRecordName.Word(operation);
            foreach (var outcome in Enum.GetValues<RunOutcome>())
                text.Counter("psbackup_runs_total", "Runs recorded in the collection's journal, by operation and outcome.", counts.Count(operation, outcome),
                    labels.Of(("operation", op), ("outcome", RunRecordName.Word(outcome))));
            text.Counter("psbackup_run_failures_total", "Runs that failed or partly failed, by operation.",
                counts.Count(operation, RunOutcome.Failed) + counts.Count(operation, RunOutcome.Partial), labels.Of(("operation", op)));
            var success = new[] { RunOutcome.Succeeded }.Select(o => counts.LastEnded(operation, o)).Max();
            if (success is { } ended)
                text.Gauge("psbackup_last_run_success_timestamp_seconds", "End of the newest run of the operation that succeeded.", Seconds(ended), labels.Of(("operation", op)));
        }
        foreach (var operation in Enum.GetValues<RunOperation>())
        {
            var newest = listing.Records.FindLast(r => r.Operation == operation);
            if (newest == null) continue;
            var op = RunRecordName.Word(operation);
            text.Gauge("psbackup_last_run_timestamp_seconds", "End of the newest run of the operation.", Seconds(newest.Ended), labels.Of(("operation", op)));
            text.Gauge("psbackup_last_run_success", "1 when the newest run of the operation succeeded, 0 when it failed, partly failed or was cancelled.",
                newest.Outcome == RunOutcome.Succeeded ? 1 : 0, labels.Of(("operation", op)));
            var record = await RunJournal.ReadAsync(repository, name, newest, ct).ConfigureAwait(false);
            text.Gauge("psbackup_last_run_duration_seconds", "Duration of the newest run of the operation.", record.DurationSeconds, labels.Of(("operation", op)));
        }

        // DR copies: per destination, the newest successful copy and how far it is behind the newest backup here.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var copy in listing.Records.Where(r => r.Operation == RunOperation.Copy && r.Outcome == RunOutcome.Succeeded).Reverse().Take(CopyLookBack))
        {
            var record = await RunJournal.ReadAsync(repository, name, copy, ct).ConfigureAwait(false);
            if (record.Target == null || !seen.Add(record.Target)) continue;
            var destination = labels.Of(("destination", record.Target));
            text.Gauge("psbackup_copy_last_success_timestamp_seconds", "End of the newest successful Copy-Backup to the destination.", Seconds(record.Ended), destination);
            if (record.Facts?.TryGetValue("newestCopiedBackupTimestampSeconds", out var copied) == true && newestBackupStart is { } newestHere)
                text.Gauge("psbackup_copy_lag_seconds", "How far the destination's newest copied backup is behind the newest backup here (0 when up to date).",
                    Math.Max(0, Seconds(newestHere) - copied), destination);
        }
    }

    private static async Task LockMetricsAsync(BackupRepository repository, string name, Labels labels, DateTimeOffset now, PrometheusText text, CancellationToken ct)
    {
        var held = await CollectionLock.TryReadAsync(repository.Store, RepositoryKeys.Lock(name), ct).ConfigureAwait(false);
        var running = held != null && held.Expires > now;
        text.Gauge("psbackup_running", "1 while an operation holds the collection's lock (a backup, retention, a copy).", running ? 1 : 0, labels.Of());
        if (running)
            text.Gauge("psbackup_running_since_timestamp_seconds", "When the running operation took the collection's lock.", Seconds(held!.Acquired),
                labels.Of(("operation", held.Operation)));
    }

    /// <summary>The newest drill of the collection, per target (issue 15's drill records).</summary>
    private static async Task DrillMetricsAsync(BackupRepository repository, string name, Labels labels, PrometheusText text, CancellationToken ct)
    {
        var keys = await DrillEvidence.ListAsync(repository, name, ct).ConfigureAwait(false);
        var done = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in Enumerable.Reverse(keys).Take(CopyLookBack))
        {
            var record = await DrillEvidence.ReadAsync(repository, key, ct).ConfigureAwait(false);
            foreach (var drill in DrillRecords.ToResults(record, repository.Location))
            {
                if (!done.Add(drill.Target)) continue;
                var target = labels.Of(drill.Target, drill.Kind);
                text.Gauge("psbackup_drill_last_timestamp_seconds", "End of the newest restore drill of the target.", Seconds(drill.StartTime + drill.Duration), target);
                text.Gauge("psbackup_drill_last_success", "1 when the newest restore drill of the target passed.", drill.Status == DrillStatus.Passed ? 1 : 0, target);
                text.Gauge("psbackup_drill_last_rto_seconds", "Restore time measured by the newest drill of the target (its RTO).", drill.RestoreDuration.TotalSeconds, target);
                if (drill.MaxRto is { } rto)
                    text.Gauge("psbackup_drill_rto_objective_seconds", "The drill's -MaxRto objective.", rto.TotalSeconds, target);
                if (drill.DataLoss is { } loss)
                    text.Gauge("psbackup_drill_last_data_loss_seconds", "Data loss measured by the newest drill of the target (its RPO).", loss.TotalSeconds, target);
                if (drill.MaxRpo is { } rpo)
                    text.Gauge("psbackup_drill_rpo_objective_seconds", "The drill's -MaxRpo objective.", rpo.TotalSeconds, target);
            }
        }
    }

    /// <summary>Recovery windows of point-in-time targets (archive lag, the RPO now).</summary>
    private static async Task KindMetricsAsync(BackupRepository repository, CollectionDefinition definition, BackupTarget[] targets, Labels labels,
        MetricsRequest request, DateTimeOffset now, PrometheusText text, CancellationToken ct)
    {
        if (!targets.Any(t => EngineKinds.For(t) is IPointInTimeRecovery)) return;
        var scope = new CollectionScope(repository, definition, CollectionAccess.UnlockKey(definition, request.Passphrase, required: false));
        List<BackupManifest>? backups = null;
        foreach (var target in targets)
        {
            if (EngineKinds.For(target) is IPointInTimeRecovery pointInTime)
            {
                backups ??= await repository.ListBackupsAsync(definition.Name, ct).ConfigureAwait(false);
                var window = await pointInTime.GetWindowAsync(scope, target, backups, ct).ConfigureAwait(false);
                if (window.Latest is { } latest)
                {
                    text.Gauge("psbackup_recovery_window_end_timestamp_seconds", "Newest moment the target can be restored to (last archived commit).", Seconds(latest), labels.Of(target));
                    text.Gauge("psbackup_archive_lag_seconds", "Time since the newest restorable moment: the data a restore now would lose (RPO).", Math.Max(0, (now - latest).TotalSeconds), labels.Of(target));
                }
                if (window.Earliest is { } earliest)
                    text.Gauge("psbackup_recovery_window_start_timestamp_seconds", "Earliest moment the target can be restored to.", Seconds(earliest), labels.Of(target));
                text.Gauge("psbackup_archive_gap", "1 when the target's archived log has a gap after a restorable base backup.", window.MissingSegment == null ? 0 : 1, labels.Of(target));
            }
        }
    }

    private static void Merge(PrometheusText into, PrometheusText from) => into.Append(from);

    private static double Seconds(DateTimeOffset time) => time.ToUnixTimeMilliseconds() / 1000.0;

    /// <summary>The labels every sample of a collection carries, plus target and kind for a target's samples.</summary>
    private sealed record Labels(string Collection, string Repository)
    {
        public (string, string)[] Of(params (string, string)[] more) => [("collection", Collection), ("repository", Repository), .. more];

        public (string, string)[] Of(BackupTarget target) => Of(target.Name, target.Kind);

        public (string, string)[] Of(string target, string kind) => Of(("target", target), ("kind", kind));
    }
}
