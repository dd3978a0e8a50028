using PsBackup.Engine.Operations;
using PsBackup.Engine.Providers;
using PsBackup.Engine.Providers.Capabilities;
using PsBackup.Engine.Providers.PostgreSql.Cluster;
using PsBackup.Engine.Repository;
using PsBackup.Engine.Storage;
using PsBackup.Engine.Tests.Support;
using Xunit.Abstractions;

namespace PsBackup.Engine.Tests.PostgreSqlCluster;

/// <summary>
/// WAL expiry against a real cluster: a month of daily base backups with WAL between them,
/// retention with KeepLast, a monthly tag, a pinned backup and KeepLogWithin; what is removed,
/// what every kept backup still restores to, an interrupted expiry, and the recovery window.
/// The month is simulated: one base backup per "day" a few seconds apart, and a policy whose
/// KeepLogWithin is measured on the planner's clock between two of them. Manifests are never edited.
/// </summary>
public sealed class WalRetentionTests(ITestOutputHelper output) : IDisposable
{
    private readonly EngineFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    private async Task<List<RetentionDecision>> ApplyAsync(RetentionRequest request, IEnumerable<string> approved)
    {
        var results = new List<RetentionDecision>();
        await foreach (var decision in _fx.Engine.ApplyRetentionAsync(request, approved.ToHashSet()))
            results.Add(decision);
        return results;
    }

    private static IEnumerable<string> Approvals(IEnumerable<RetentionDecision> plan) =>
        plan.Where(d => d.Action == RetentionAction.Delete).Select(d => d.LogRange ?? d.BackupId);

    [Fact]
    public async Task A_month_of_daily_base_backups_keeps_exactly_the_WAL_the_kept_backups_need()
    {
        const int Days = 30;
        using var s = await ClusterScenario.StartAsync(_fx, "month", walSegmentMegabytes: 1);
        await s.Primary.SwitchWalAndWaitArchivedAsync(); // WAL from before the first base backup
        var points = new Dictionary<int, DateTime>();
        var day = new Dictionary<int, BackupInfo>();
        for (var d = 1; d <= Days; d++)
        {
            points[d] = await s.InsertAsync(d);          // row d: committed on "day" d, before its base backup
            await s.Primary.SwitchWalAndWaitArchivedAsync();
            day[d] = await _fx.BackupAsync("month");
        }
        points[Days + 1] = await s.InsertAsync(Days + 1);
        await s.Primary.SwitchWalAndWaitArchivedAsync();
        await _fx.Engine.SetBackupAsync(new SetBackupRequest(day[1].Id) { Repository = _fx.Repository, Tags = ["monthly"] });
        await _fx.Engine.SetBackupAsync(new SetBackupRequest(day[10].Id) { Repository = _fx.Repository, Pinned = true });

        // The last week of dailies, the monthly, the pinned one; point-in-time recovery for moments after day 27's backup.
        var now = DateTimeOffset.UtcNow;
        var cutoff = day[27].EndTime + (day[28].EndTime - day[27].EndTime) / 2;
        var request = new RetentionRequest("month")
        {
            Repository = _fx.Repository, Now = now,
            Policy = new RetentionPolicy { KeepLast = 7, KeepTags = ["monthly"], KeepLogWithin = now - cutoff },
        };
        var windowBefore = await s.WindowAsync();
        Assert.Equal(day[1].EndTime, windowBefore.Earliest);
        Assert.Null(windowBefore.MissingSegment);
        var archivedBefore = s.ArchivedNames();

        // What the kept backups need, worked out here from their manifests: the oracle.
        var state = new Dictionary<int, ClusterBackupState>();
        foreach (var (d, backup) in day) state[d] = await s.StateAsync(backup.Id);
        const long Size = 1 << 20;
        ulong Start(int d) => WalFileName.SegmentOf(Lsn.Parse(state[d].StartLsn), Size);
        ulong Stop(int d) => WalFileName.SegmentOf(Lsn.Parse(state[d].StopLsn), Size);
        var keptDays = new[] { 1, 10, 24, 25, 26, 27, 28, 29, 30 };
        var needs = new List<(ulong From, ulong To)> { (Start(1), Stop(1)), (Start(10), Stop(24)), (Start(24), Stop(24)), (Start(25), Stop(25)), (Start(26), Stop(26)), (Start(27), ulong.MaxValue) };
        bool Needed(string name) => WalFileName.IsHistory(name) || needs.Any(n => WalPosition.Of(name, Size) is { } p && n.From <= p && p <= n.To);
        var expectedRemoved = archivedBefore.Where(n => !Needed(n)).ToList();
        Assert.True(expectedRemoved.Count > 20, $"only {expectedRemoved.Count} WAL files are unneeded");

        // The plan: one decision per backup, one per stretch of WAL, with reasons.
        var plan = await _fx.Engine.PlanRetentionAsync(request);
        Assert.Equal(keptDays.Select(d => day[d].Id).Order(), plan.Where(d => d.LogRange == null && d.Action == RetentionAction.Keep).Select(d => d.BackupId).Order());
        var walDeletes = plan.Where(d => d.LogRange != null && d.Action == RetentionAction.Delete).ToList();
        Assert.Equal(expectedRemoved, walDeletes.SelectMany(d => Names(d, archivedBefore)).Order(StringComparer.Ordinal));
        Assert.Equal(5, walDeletes.Count); // before day 1; between 1 and 10; between 24, 25, 26 and 27
        Assert.All(walDeletes, d => Assert.True(d.LogFileCount > 0 && d.StoredBytes > 0 && d.BackupId == "" && d.Reasons.Length > 0));
        Assert.Contains("older than the start of base backup " + day[1].Id, walDeletes[0].Reasons);
        Assert.Contains(plan, d => d.LogRange != null && d.Action == RetentionAction.Keep && d.Reasons.Contains("recovery window of pinned backup " + day[10].Id));
        foreach (var d in plan.Where(d => d.LogRange != null)) output.WriteLine($"{d.Action,-6} {d.LogRange} ({d.LogFileCount} files, {d.StoredBytes} bytes): {d.Reasons}");

        // 1. Backups only: the WAL ranges were not approved, so no WAL goes.
        var first = await ApplyAsync(request, plan.Where(d => d.LogRange == null && d.Action == RetentionAction.Delete).Select(d => d.BackupId));
        Assert.Equal(21, first.Count(d => d.Deleted));
        Assert.All(first.Where(d => d.LogRange != null && d.Action == RetentionAction.Delete), d => Assert.Contains("not removed: not approved", d.Reasons));
        Assert.Equal(archivedBefore, s.ArchivedNames());

        // 2. An expiry that dies in the middle of a stretch (between an entry and its data): the archive stays consistent.
        var kept = (await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository, Collection = "month" })).Select(b => b.Id).ToList();
        Assert.Equal(keptDays.Select(d => day[d].Id).Order(), kept.Order());
        await InterruptedExpiryAsync(request, kept, day[10].Id, now);
        var interrupted = await s.WindowAsync();
        Assert.Null(interrupted.MissingSegment);
        Assert.Equal(windowBefore.Latest, interrupted.Latest);
        foreach (var id in kept)
            Assert.All(await s.VerifyAsync(id), f => Assert.True(f.Status == VerificationStatus.Ok, $"{id}: {f.Artifact} {f.Status} {f.Message}"));

        // 3. The next run finishes the job: exactly the unneeded files are gone, leftovers included.
        var second = await ApplyAsync(request, Approvals(await _fx.Engine.PlanRetentionAsync(request)));
        Assert.True(second.Count(d => d.Deleted) >= 1);
        Assert.Equal(archivedBefore.Except(expectedRemoved).Order(StringComparer.Ordinal), s.ArchivedNames());
        var leftovers = Directory.EnumerateFiles(s.WalFolder(), "*", SearchOption.AllDirectories).Select(Path.GetFileName)
            .Where(f => expectedRemoved.Any(r => f!.StartsWith(r + ".", StringComparison.Ordinal) && !f[(r.Length + 1)..].StartsWith("partial") && !f[(r.Length + 1)..].Contains("backup")));
        Assert.Empty(leftovers);
        Assert.Empty(Approvals(await _fx.Engine.PlanRetentionAsync(request)));

        // The window shrank exactly as planned: continuous from day 27's base backup on, nothing missing.
        var after = await s.WindowAsync();
        Assert.Equal(day[27].EndTime, after.Earliest);
        Assert.Equal(windowBefore.Latest, after.Latest);
        Assert.Null(after.MissingSegment);
        Assert.Equal(s.ArchivedNames().Count(WalFileName.IsSegment), after.WalSegmentCount);

        // Every kept backup restores to a point inside what it kept.
        Assert.Equal([1], await s.RestoreAndReadAsync(_fx.Repository, day[1].Id, "day1", null));
        Assert.Equal(Enumerable.Range(1, 15), await s.RestoreAndReadAsync(_fx.Repository, day[30].Id, "pinned-window", new RecoveryTarget { Time = points[15] })); // from day 10
        Assert.Equal(Enumerable.Range(1, 25), await s.RestoreAndReadAsync(_fx.Repository, day[25].Id, "day25", null));
        Assert.Equal(Enumerable.Range(1, 28), await s.RestoreAndReadAsync(_fx.Repository, day[30].Id, "within", new RecoveryTarget { Time = points[28] })); // from day 27
        Assert.Equal(Enumerable.Range(1, Days + 1), await s.RestoreAndReadAsync(_fx.Repository, day[30].Id, "end", new RecoveryTarget { EndOfArchive = true }));
        // Day 25's recovery window is gone on purpose: a clear refusal, not a missing segment.
        var refused = await s.RestoreAsync(_fx.Repository, day[30].Id, _fx.Temp.Combine("gone"), new RecoveryTarget { Time = points[26] });
        var error = Assert.IsType<RecoveryTargetOutOfRangeException>(refused.Error);
        Assert.Contains("removed by retention", error.Message);

        // Test-Backup: day 25's WAL verifies and says where its window ends; day 10's whole window verifies.
        var day25 = (await s.VerifyAsync(day[25].Id)).Where(f => f.Artifact.StartsWith("wal/", StringComparison.Ordinal)).ToList();
        Assert.All(day25, f => Assert.Equal(VerificationStatus.Ok, f.Status));
        Assert.Contains("removed by retention", day25[^1].Message);
        Assert.All(await s.VerifyAsync(day[10].Id), f => Assert.Equal(VerificationStatus.Ok, f.Status));

        // A copy carries the record of what retention removed: its window and Test-Backup read the gaps the same way.
        var dr = _fx.Temp.Combine("dr");
        await foreach (var outcome in _fx.Engine.CopyBackupAsync(new CopyRequest("month", dr) { Source = _fx.Repository }))
            Assert.Null(outcome.Error);
        var copied = await s.WindowAsync(dr);
        Assert.Equal((after.Earliest, after.Latest, after.WalSegmentCount), (copied.Earliest, copied.Latest, copied.WalSegmentCount));
        Assert.Null(copied.MissingSegment);
        var day25AtDr = (await s.VerifyAsync(day[25].Id, dr)).Where(f => f.Artifact.StartsWith("wal/", StringComparison.Ordinal)).ToList();
        Assert.All(day25AtDr, f => Assert.Equal(VerificationStatus.Ok, f.Status));
        Assert.Contains("removed by retention", day25AtDr[^1].Message);
    }

    /// <summary>The file names a WAL decision covers: those of the archive between its first and last.</summary>
    private static IEnumerable<string> Names(RetentionDecision decision, SortedSet<string> archived)
    {
        var parts = decision.LogRange!.Split("..");
        return archived.Where(n => !WalFileName.IsHistory(n) && string.CompareOrdinal(WalPosition.Key(n), WalPosition.Key(parts[0])) >= 0
                                   && string.CompareOrdinal(WalPosition.Key(n), WalPosition.Key(parts[^1])) <= 0);
    }

    /// <summary>Plans under a store that dies at a deletion in the middle of the second stretch, and removes until it dies.</summary>
    private async Task InterruptedExpiryAsync(RetentionRequest request, List<string> kept, string pinned, DateTimeOffset now)
    {
        using var repository = await BackupRepository.OpenAsync(new LocalObjectStore(_fx.Repository), create: false, default);
        var definition = await repository.GetCollectionAsync("month", default);
        var manifests = new List<BackupManifest>();
        foreach (var id in kept) manifests.Add(await repository.ReadManifestAsync("month", id, default));
        var retention = new ArchivedLogRetention(manifests, new HashSet<string> { pinned }, request.Policy!.KeepLogWithin, now);
        var plan = (await WalRetention.PlanAsync(new CollectionScope(repository, definition, null), retention, default)).Cast<WalRetention.WalRange>().Where(r => r.Remove).ToList();
        var dieAt = plan[0].Keys.Count + plan[1].Keys.Count / 2 + 1; // an entry of the second stretch is gone, not yet its data
        using var crashing = await BackupRepository.OpenAsync(new InterruptingStore(new LocalObjectStore(_fx.Repository), dieAt), create: false, default);
        await Assert.ThrowsAsync<OperationCanceledException>(async () =>
        {
            foreach (var range in plan) await WalRetention.RemoveAsync(new CollectionScope(crashing, definition, null), range, default);
        });
    }
}
