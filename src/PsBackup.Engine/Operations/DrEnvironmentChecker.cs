using System.Globalization;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers;
using PsBackup.Engine.Providers.Capabilities;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Operations;

/// <summary>
/// Test-DrEnvironment: reads the repositories (primary and DR copy), the collections' backups and
/// drill evidence, the archived log of point-in-time targets, and asks the kinds' health probe and
/// replication capabilities about the servers. Changes nothing. One check per finding; a check
/// that cannot be made is a Fail that says why, never an exception, so one bad part does not hide the others.
/// </summary>
internal static class DrEnvironmentChecker
{
    public static async Task<List<DrCheck>> RunAsync(DrEnvironmentRequest request, CancellationToken ct)
    {
        foreach (var pattern in request.Collections) Names.ValidatePattern(pattern, "Collection");
        var checks = new List<DrCheck>();
        using var primary = await OpenAsync(request.Repository, "primary", checks, ct).ConfigureAwait(false);
        using var dr = request.DrRepository == null ? null : await OpenAsync(request.DrRepository, "DR copy", checks, ct).ConfigureAwait(false);
        if (primary == null) return checks;
        foreach (var definition in await CollectionsAsync(primary, request.Collections, checks, ct).ConfigureAwait(false))
        {
            var name = definition.Name;
            checks.Add(Pass("CollectionPresent", name, "", primary, "present", "present", $"Collection '{name}' is in the primary repository."));
            checks.Add(await LockCheckAsync(primary, name, ct).ConfigureAwait(false));
            var backups = await primary.ListBackupsAsync(name, ct).ConfigureAwait(false);
            checks.Add(BackupAge(primary, name, backups, request.MaxBackupAge));
            if (dr != null) checks.AddRange(await DrCopyChecksAsync(dr, name, backups, request.MaxBackupAge, ct).ConfigureAwait(false));
            checks.AddRange(await DrillChecksAsync(request, name, ct).ConfigureAwait(false));
            var scope = new CollectionScope(primary, definition, CollectionAccess.UnlockKey(definition, request.Passphrase, required: false));
            foreach (var target in CollectionAccess.Describe(definition, primary).Targets)
                checks.AddRange(await TargetChecksAsync(request, scope, target, backups, ct).ConfigureAwait(false));
        }
        return checks;
    }

    private static async Task<BackupRepository?> OpenAsync(RepositoryAddress? address, string role, List<DrCheck> checks, CancellationToken ct)
    {
        var location = address?.ToString() ?? RepositoryLocation.Default;
        try
        {
            var repository = await CollectionAccess.OpenRepositoryAsync(address, ct).ConfigureAwait(false);
            checks.Add(new DrCheck
            {
                Check = "RepositoryReachable", Repository = repository.Location, Status = DrCheckStatus.Pass,
                Observed = $"format {repository.Config.Version}", Expected = $"format ≤ {FormatVersion.Repository}",
                Message = $"The {role} repository answers, and its format is one this PsBackup reads.",
            });
            return repository;
        }
        catch (Exception e) when (e is PsBackupException or IOException or UnauthorizedAccessException)
        {
            checks.Add(new DrCheck
            {
                Check = "RepositoryReachable", Repository = location, Status = DrCheckStatus.Fail,
                Observed = e is PsBackupException p ? p.ErrorId : e.GetType().Name, Expected = "readable",
                Message = $"The {role} repository cannot be read: {SecretMasker.Hide(e.Message)}",
            });
            return null;
        }
    }

    private static async Task<List<CollectionDefinition>> CollectionsAsync(BackupRepository repository, IReadOnlyList<string> patterns, List<DrCheck> checks, CancellationToken ct)
    {
        var all = new List<CollectionDefinition>();
        await foreach (var definition in repository.ListCollectionsAsync(ct).ConfigureAwait(false)) all.Add(definition);
        if (patterns.Count == 0) return all;
        var chosen = new List<CollectionDefinition>();
        foreach (var pattern in patterns)
        {
            var glob = new Glob(pattern, ignoreCase: true);
            var matches = all.Where(d => glob.IsMatch(d.Name) && !chosen.Contains(d)).ToList();
            if (matches.Count == 0 && !Glob.HasWildcards(pattern))
                checks.Add(Fail("CollectionPresent", pattern, "", repository, "absent", "present", $"Collection '{pattern}' is not in the primary repository {repository.Location}."));
            chosen.AddRange(matches);
        }
        return chosen;
    }

    private static async Task<DrCheck> LockCheckAsync(BackupRepository repository, string collection, CancellationToken ct)
    {
        LockRecord? holder;
        try
        {
            holder = await CollectionLock.PeekAsync(repository.Store, collection, ct).ConfigureAwait(false);
        }
        catch (DocumentCorruptException e)
        {
            return Fail("LockNotStale", collection, "", repository, "damaged", "not locked or held by a live writer", $"Collection '{collection}'s lock is damaged: {e.Message}");
        }
        if (holder == null)
            return Pass("LockNotStale", collection, "", repository, "not locked", "not locked or held by a live writer", $"No one holds collection '{collection}'s lock.");
        var who = $"{Names.Printable(holder.Operation)} (host {Names.Printable(holder.Host)}, pid {holder.Pid}) since {holder.Acquired:u}";
        return CollectionLock.IsStale(holder, DateTimeOffset.UtcNow)
            ? Warn("LockNotStale", collection, "", repository, $"stale: {who}", "not locked or held by a live writer",
                $"Collection '{collection}' has a stale lock left by {who}; its holder is gone (the next writer takes it over). Find out why that run died.")
            : Pass("LockNotStale", collection, "", repository, $"held by {who}", "not locked or held by a live writer", $"A live {Names.Printable(holder.Operation)} holds the lock.");
    }

    private static DrCheck BackupAge(BackupRepository repository, string collection, List<BackupManifest> backups, TimeSpan maxAge)
    {
        var latest = backups.Where(b => b.Status == BackupStatus.Complete).MaxBy(b => b.EndTime);
        var expected = $"≤ {maxAge}";
        if (latest == null)
            return Fail("LatestBackupAge", collection, "", repository, "no complete backup", expected, $"Collection '{collection}' has no complete backup in {repository.Location}.");
        var age = DateTimeOffset.UtcNow - latest.EndTime;
        return age <= maxAge
            ? Pass("LatestBackupAge", collection, "", repository, Round(age), expected, $"The latest complete backup, {latest.Id}, is {Round(age)} old.")
            : Fail("LatestBackupAge", collection, "", repository, Round(age), expected,
                $"The latest complete backup, {latest.Id}, is {Round(age)} old: older than -MaxBackupAge {maxAge}. Check the backup schedule.");
    }

    /// <summary>The DR copy: the collection there, its newest backup's age, and how far it is behind the primary's newest.</summary>
    private static async Task<List<DrCheck>> DrCopyChecksAsync(BackupRepository dr, string collection, List<BackupManifest> primaryBackups, TimeSpan maxAge, CancellationToken ct)
    {
        CollectionDefinition? definition;
        try
        {
            definition = await dr.TryGetCollectionAsync(collection, ct).ConfigureAwait(false);
        }
        catch (PsBackupException e)
        {
            return [Fail("CollectionPresent", collection, "", dr, e.ErrorId, "present", $"Collection '{collection}' in the DR copy cannot be read: {e.Message}")];
        }
        if (definition == null)
            return [Fail("CollectionPresent", collection, "", dr, "absent", "present",
                $"Collection '{collection}' is missing from the DR copy {dr.Location}: copy it there (Copy-Backup -Collection {collection} -Destination …).")];
        var copies = await dr.ListBackupsAsync(collection, ct).ConfigureAwait(false);
        var checks = new List<DrCheck>
        {
            Pass("CollectionPresent", collection, "", dr, "present", "present", $"Collection '{collection}' is in the DR copy."),
            await LockCheckAsync(dr, collection, ct).ConfigureAwait(false),
            BackupAge(dr, collection, copies, maxAge),
        };
        var newest = primaryBackups.Where(b => b.Status == BackupStatus.Complete).MaxBy(b => b.EndTime);
        if (newest == null) return checks;
        var newestCopy = copies.Where(b => b.Status == BackupStatus.Complete).MaxBy(b => b.EndTime);
        var missing = primaryBackups.Count(b => b.Status == BackupStatus.Complete && b.EndTime > (newestCopy?.EndTime ?? DateTimeOffset.MinValue));
        var lag = newestCopy == null ? (TimeSpan?)null : newest.EndTime - newestCopy.EndTime;
        var expected = $"≤ {maxAge}";
        if (copies.Any(b => b.Id == newest.Id))
            checks.Add(Pass("DrCopyLag", collection, "", dr, "0", expected, $"The DR copy holds the primary's latest backup {newest.Id}."));
        else if (lag != null && lag <= maxAge)
            checks.Add(Warn("DrCopyLag", collection, "", dr, Round(lag.Value), expected,
                $"The DR copy is {missing} backup(s) ({Round(lag.Value)}) behind the primary; the next Copy-Backup should catch up."));
        else
            checks.Add(Fail("DrCopyLag", collection, "", dr, lag == null ? "no backup copied" : Round(lag.Value), expected,
                $"The DR copy is {missing} backup(s) behind the primary (latest there: {newestCopy?.Id ?? "none"}); run Copy-Backup."));
        return checks;
    }

    private static async Task<List<DrCheck>> DrillChecksAsync(DrEnvironmentRequest request, string collection, CancellationToken ct)
    {
        var records = await DrillRecords.QueryAsync(new RestoreDrillQuery { Repository = request.Repository, Collection = collection, Latest = true }, ct).ConfigureAwait(false);
        var drills = records.Drills.Where(d => d.Collection.Equals(collection, StringComparison.OrdinalIgnoreCase)).ToList();
        var repository = request.Repository?.ToString() ?? RepositoryLocation.Default;
        var expected = $"Passed, ≤ {request.MaxDrillAge} old";
        if (drills.Count == 0)
            return [Fail("LastDrill", collection, "", repository, "never drilled", expected,
                $"Collection '{collection}' has no recorded restore drill: run Invoke-RestoreDrill -Collection {collection}.")];
        var end = drills.Max(d => d.StartTime + d.Duration);
        var age = DateTimeOffset.UtcNow - end;
        var failed = drills.Where(d => d.Status != DrillStatus.Passed).ToList();
        var checks = new List<DrCheck>
        {
            failed.Count > 0
                ? Fail("LastDrill", collection, "", repository, $"Failed {Round(age)} ago", expected,
                    $"The last drill ({drills[0].DrillId}) failed for {string.Join(", ", failed.Select(f => $"'{f.Target}': {f.Reason}"))}")
                : age > request.MaxDrillAge
                    ? Fail("LastDrill", collection, "", repository, $"Passed {Round(age)} ago", expected,
                        $"The last drill ({drills[0].DrillId}) is {Round(age)} old: older than -MaxDrillAge {request.MaxDrillAge}. Run Invoke-RestoreDrill.")
                    : Pass("LastDrill", collection, "", repository, $"Passed {Round(age)} ago", expected, $"The last drill ({drills[0].DrillId}) passed {Round(age)} ago."),
        };
        if (request.Rto is { } rto)
        {
            var slowest = drills.MaxBy(d => d.RestoreDuration)!;
            checks.Add(slowest.RestoreDuration <= rto
                ? Pass("DrillRto", collection, slowest.Target, repository, Round(slowest.RestoreDuration), $"≤ {rto}", $"The last drill restored within the RTO (slowest target: '{slowest.Target}').")
                : Fail("DrillRto", collection, slowest.Target, repository, Round(slowest.RestoreDuration), $"≤ {rto}",
                    $"The last drill took {Round(slowest.RestoreDuration)} to restore target '{slowest.Target}': over -Rto {rto}."));
        }
        return checks;
    }

    private static async Task<List<DrCheck>> TargetChecksAsync(DrEnvironmentRequest request, CollectionScope scope, BackupTarget target, List<BackupManifest> backups, CancellationToken ct)
    {
        var checks = new List<DrCheck>();
        var kind = EngineKinds.For(target);
        var collection = scope.Name;
        var credential = request.Credentials.For(target.Name);
        if (kind is IPointInTimeRecovery pitr)
            checks.AddRange(ArchiveChecks(request, scope.Repository, target, await pitr.GetWindowAsync(scope, target, backups, ct).ConfigureAwait(false)));
        if (kind is IHealthProbe probe)
        {
            try
            {
                await probe.ProbeAsync(target, credential, ct).ConfigureAwait(false);
                checks.Add(Pass("TargetReachable", collection, target.Name, "", "login accepted", "login accepted", $"{target.Location} answers and accepts the login."));
            }
            catch (PsBackupException e)
            {
                var auth = e is TargetAuthenticationException;
                checks.Add(Fail("TargetReachable", collection, target.Name, "", auth ? "login refused" : "unreachable", "login accepted",
                    (auth ? "The server answers but refuses the login (check -Credential): " : "The server does not answer: ") + e.Message));
            }
        }
        if (kind is IReplication replication)
            checks.AddRange(await ReplicaChecksAsync(request, collection, target, replication, credential, ct).ConfigureAwait(false));
        return checks;
    }

    private static IEnumerable<DrCheck> ArchiveChecks(DrEnvironmentRequest request, BackupRepository repository, BackupTarget target, RecoveryWindow window)
    {
        var collection = window.Collection;
        if (window.BaseBackupCount == 0)
            yield return Fail("ArchiveContinuity", collection, target.Name, repository, "no base backup", "no missing segment",
                "No complete full backup of the target: the archived log has nothing to start from.");
        else if (window.MissingSegment != null)
            yield return Fail("ArchiveContinuity", collection, target.Name, repository, $"missing {window.MissingSegment}", "no missing segment",
                $"The archived log has a gap: segment {window.MissingSegment} is missing, so point-in-time recovery stops before it. Check archive_command and take a full backup.");
        else
            yield return Pass("ArchiveContinuity", collection, target.Name, repository, $"{window.WalSegmentCount} segment(s), no gap", "no missing segment",
                $"The archived log runs without a gap from {window.Earliest:u} to {window.Latest:u}.");
        if (window.Lag is not { } lag)
            yield break;
        if (request.Rpo is { } rpo && lag > rpo)
            yield return Fail("ArchiveLag", collection, target.Name, repository, Round(lag), $"≤ {rpo}",
                $"The newest archived commit is {Round(lag)} old: a disaster now would lose more than -Rpo {rpo}. Check that archive_command keeps up (archive_timeout).");
        else
            yield return Pass("ArchiveLag", collection, target.Name, repository, Round(lag), request.Rpo is { } r ? $"≤ {r}" : "",
                $"The newest archived commit is {Round(lag)} old (the data a disaster now would lose).");
    }

    private static async Task<List<DrCheck>> ReplicaChecksAsync(DrEnvironmentRequest request, string collection, BackupTarget target, IReplication replication,
        System.Net.NetworkCredential? credential, CancellationToken ct)
    {
        IReadOnlyList<ReplicaState> servers;
        try
        {
            servers = await replication.GetReplicationAsync(target, credential, ct).ConfigureAwait(false);
        }
        catch (PsBackupException e)
        {
            return [Fail("Replica", collection, target.Name, "", e.ErrorId, "replicating", $"The replication state could not be read: {e.Message}")];
        }
        if (servers.Count < 2) return []; // the target names no replica
        var checks = new List<DrCheck>();
        var primaries = servers.Count(s => s.Role == ReplicaRole.Primary);
        foreach (var server in servers)
        {
            var name = $"{target.Name}@{server.Endpoint}";
            var expected = request.Rpo is { } rpo ? $"replicating, lag ≤ {rpo}" : "replicating";
            var observed = server.Reachable ? $"{server.Role}{(server.Role == ReplicaRole.Replica ? server.LinkUp ? ", link up" : ", link down" : "")}" +
                                              (server.LagBytes is { } b ? $", {b} bytes behind" : "") + (server.LagTime is { } t && t > TimeSpan.Zero ? $", {Round(t)}" : "")
                                            : "unreachable";
            if (!server.Reachable)
                checks.Add(Fail("Replica", collection, name, "", observed, expected, $"{server.Endpoint} does not answer: {server.Message}"));
            else if (server.Role == ReplicaRole.Primary)
            {
                if (primaries > 1)
                    checks.Add(Fail("Replica", collection, name, "", observed, "one primary", $"{server.Endpoint} is a primary too: {primaries} servers of target '{target.Name}' accept writes. Fence the old primary."));
            }
            else if (server.Role != ReplicaRole.Replica)
                checks.Add(Warn("Replica", collection, name, "", observed, expected, $"{server.Endpoint}: role not known ({server.Message})."));
            else if (!server.LinkUp)
                checks.Add(Fail("Replica", collection, name, "", observed, expected, $"{server.Endpoint} does not replicate: {server.Message}"));
            else if (request.Rpo is { } limit && server.LagTime is { } lagTime && lagTime > limit)
                checks.Add(Fail("Replica", collection, name, "", observed, expected, $"{server.Endpoint} has not replayed its primary's last {Round(lagTime)}: over -Rpo {limit}."));
            else
                checks.Add(Pass("Replica", collection, name, "", observed, expected, $"{server.Endpoint}: {server.Message}."));
        }
        return checks;
    }

    private static string Round(TimeSpan span) => TimeSpan.FromSeconds(Math.Round(span.TotalSeconds)).ToString("c", CultureInfo.InvariantCulture);

    private static DrCheck Make(DrCheckStatus status, string check, string collection, string target, string repository, string observed, string expected, string message) => new()
    {
        Check = check, Collection = collection, Target = target, Repository = repository, Status = status,
        Observed = observed, Expected = expected, Message = SecretMasker.Hide(message),
    };

    private static DrCheck Pass(string check, string collection, string target, object repository, string observed, string expected, string message) =>
        Make(DrCheckStatus.Pass, check, collection, target, Location(repository), observed, expected, message);

    private static DrCheck Warn(string check, string collection, string target, object repository, string observed, string expected, string message) =>
        Make(DrCheckStatus.Warn, check, collection, target, Location(repository), observed, expected, message);

    private static DrCheck Fail(string check, string collection, string target, object repository, string observed, string expected, string message) =>
        Make(DrCheckStatus.Fail, check, collection, target, Location(repository), observed, expected, message);

    private static string Location(object repository) => repository is BackupRepository r ? r.Location : repository as string ?? "";
}
