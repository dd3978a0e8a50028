using System.Diagnostics;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Tests.PostgreSqlCluster;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Dr;

/// <summary>
/// A PostgreSQL primary whose archive_command fills the collection and a streaming standby of it,
/// both of the test's own (thrown away after): Test-DrEnvironment's standby and archived-log checks,
/// and Start-Failover — promoted with pg_promote, writable, the collection repointed, a new chain
/// on the new timeline, the old chain still restorable; refused above -MaxDataLoss changing
/// nothing; the primary gone (estimate from the archive); a throwing hook.
/// </summary>
public sealed class ClusterFailoverTests : IDisposable
{
    private const string Collection = "db";
    private readonly EngineFixture _fx = new();
    private readonly List<ThrowawayCluster> _clusters = [];
    private ThrowawayCluster _primary = null!;
    private ThrowawayCluster _standby = null!;

    public void Dispose()
    {
        foreach (var cluster in _clusters) cluster.Dispose();
        _fx.Dispose();
    }

    private string StandbyEndpoint => $"127.0.0.1:{_standby.Port}";
    private string PrimaryEndpoint => $"127.0.0.1:{_primary.Port}";

    /// <summary>Primary + standby, the collection naming the standby, table t with rows 1..3, a full backup; the standby caught up.</summary>
    private async Task<BackupInfo> StartAsync()
    {
        _primary = await ThrowawayCluster.CreateAsync(_fx.Temp.Combine("primary"), ThrowawayCluster.ArchiveCommand(_fx.Repository, Collection));
        _clusters.Add(_primary);
        _standby = await ThrowawayCluster.ReplicaOfAsync(_primary, _fx.Temp.Combine("standby"));
        _clusters.Add(_standby);
        var target = _primary.Target("pg");
        target.Standby = [StandbyEndpoint];
        await _fx.NewCollectionAsync(Collection, targets: target);
        ThrowawayCluster.ShareWithPostgres(_fx.Repository);
        await _primary.ExecuteAsync("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3)");
        var full = await _fx.BackupAsync(Collection);
        await CaughtUpAsync();
        return full;
    }

    private async Task CaughtUpAsync()
    {
        var target = await _primary.ScalarAsync<string>("SELECT pg_current_wal_lsn()::text");
        var clock = Stopwatch.StartNew();
        while (!await _standby.ScalarAsync<bool>($"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"))
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException("the standby did not catch up");
            await Task.Delay(50);
        }
    }

    private async Task<(List<FailoverStep> Steps, FailoverSummary? Summary, PsBackupException? Error)> FailoverAsync(Func<FailoverRequest, FailoverRequest>? change = null)
    {
        var steps = new List<FailoverStep>();
        var request = new FailoverRequest(Collection) { Repository = _fx.Repository };
        try
        {
            var summary = await _fx.Engine.FailoverAsync(change == null ? request : change(request), steps.Add);
            return (steps, summary, null);
        }
        catch (PsBackupException e)
        {
            return (steps, null, e);
        }
    }

    private byte[] CollectionJson() => File.ReadAllBytes(Path.Combine(_fx.Repository, "collections", Collection, "collection.json"));

    [Fact]
    public async Task Test_DrEnvironment_reads_the_standby_streaming_then_its_link_down_and_a_gap_in_the_archived_log()
    {
        await StartAsync();
        await _primary.ExecuteAsync("INSERT INTO t VALUES (4)");
        var lost = await _primary.ScalarAsync<string>("SELECT pg_walfile_name(pg_current_wal_lsn())");
        await _primary.SwitchWalAndWaitArchivedAsync();
        await _primary.ExecuteAsync("INSERT INTO t VALUES (5)");
        await _primary.SwitchWalAndWaitArchivedAsync();
        await CaughtUpAsync();
        var request = new DrEnvironmentRequest { Repository = _fx.Repository, Collections = [Collection], Rpo = TimeSpan.FromHours(1) };

        var healthy = await _fx.Engine.TestDrEnvironmentAsync(request);
        foreach (var name in new[] { "ArchiveContinuity", "ArchiveLag", "TargetReachable", "LatestBackupAge" })
            Assert.Equal(DrCheckStatus.Pass, Assert.Single(healthy, c => c.Check == name).Status);
        var standby = Assert.Single(healthy, c => c.Check == "Replica");
        Assert.True(standby.Status == DrCheckStatus.Pass, standby.ToString());
        Assert.Equal($"pg@{StandbyEndpoint}", standby.Target);
        Assert.Contains("link up, 0 bytes behind", standby.Observed);
        Assert.Contains("streaming", standby.Message);

        // The standby's WAL receiver stops (primary_conninfo emptied): reachable, link down.
        await _standby.ExecuteAsync("ALTER SYSTEM SET primary_conninfo = ''");
        await _standby.ExecuteAsync("SELECT pg_reload_conf()");
        var clock = Stopwatch.StartNew();
        DrCheck down;
        do
        {
            await Task.Delay(100);
            down = Assert.Single(await _fx.Engine.TestDrEnvironmentAsync(request), c => c.Check == "Replica");
        } while (down.Status == DrCheckStatus.Pass && clock.Elapsed < TimeSpan.FromSeconds(30));
        Assert.Equal(DrCheckStatus.Fail, down.Status);
        Assert.Contains("link down", down.Observed);
        Assert.Contains("not streaming", down.Message);

        // One archived segment lost after the base backup.
        foreach (var file in Directory.GetFiles(Path.Combine(_fx.Repository, "collections", Collection, "wal", lost[..8]), lost + ".*")) File.Delete(file);
        var gap = Assert.Single(await _fx.Engine.TestDrEnvironmentAsync(request), c => c.Check == "ArchiveContinuity");
        Assert.Equal(DrCheckStatus.Fail, gap.Status);
        Assert.Equal($"missing {lost}", gap.Observed);
        Assert.Contains("gap", gap.Message);
    }

    [Fact]
    public async Task With_lag_zero_the_standby_is_promoted_writable_the_collection_repointed_and_a_new_chain_started_while_the_old_chain_restores()
    {
        var before = await StartAsync();
        var fenced = false;
        var after = new List<FailoverHookContext>();
        var (steps, summary, error) = await FailoverAsync(r => r with
        {
            BeforePromote = (context, _) => { _primary.Stop(); fenced = true; return Task.CompletedTask; }, // fence the old primary
            AfterPromote = (context, _) => { after.Add(context); return Task.CompletedTask; },
        });
        Assert.True(error == null, error?.Message + "\n" + string.Join("\n", steps));
        Assert.True(fenced);
        Assert.Equal(["Assess", "BeforePromote", "Reassess", "Promote", "Verify", "Repoint", "AfterPromote", "Backup"], steps.Select(s => s.Step));
        Assert.All(steps, s => Assert.Equal(FailoverStepStatus.Done, s.Status));
        // Re-read after the hook fenced the primary: measured against the archive now, still nothing lost.
        Assert.Contains($"primary {PrimaryEndpoint} at", steps[0].Detail);
        Assert.Contains($"after -BeforePromote: primary {PrimaryEndpoint} does not answer", steps[2].Detail);
        Assert.Contains("0 bytes at the assessment", steps[2].Detail);
        Assert.Contains("does not answer", summary!.DataLossBasis);
        Assert.Equal(0, summary.EstimatedDataLossBytes);
        Assert.Equal(PrimaryEndpoint, summary.OldPrimary);
        Assert.Equal(StandbyEndpoint, summary.NewPrimary);
        Assert.True(summary.FailoverTime > TimeSpan.Zero && summary.FailoverTime < summary.EndTime - summary.StartTime + TimeSpan.FromSeconds(1));
        Assert.Equal(StandbyEndpoint, Assert.Single(after).NewPrimary);

        // Promoted and writable.
        Assert.False(await _standby.ScalarAsync<bool>("SELECT pg_is_in_recovery()"));
        await _standby.ExecuteAsync("INSERT INTO t VALUES (10)");
        // The collection points at it, the old endpoint recorded.
        var collection = Assert.Single(await _fx.Engine.GetCollectionsAsync(_fx.Repository, Collection));
        var target = Assert.IsType<PostgreSqlClusterTarget>(Assert.Single(collection.Targets));
        Assert.Equal(_standby.Port, target.Port);
        Assert.Empty(target.Standby);
        var json = System.Text.Encoding.UTF8.GetString(CollectionJson());
        Assert.Contains($"\"from\": \"{PrimaryEndpoint}\"", json);
        Assert.Contains($"\"to\": \"{StandbyEndpoint}\"", json);
        // A new full on the new timeline starts a new chain.
        var backups = await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository, Collection = Collection });
        Assert.Equal(2, backups.Count);
        var newFull = Assert.Single(backups, b => b.Id == summary.NewBackupId);
        Assert.Equal(BackupType.Full, newFull.Type);
        Assert.Null(newFull.ParentId);
        using (var repository = await PsBackup.Engine.Repository.BackupRepository.OpenAsync(new PsBackup.Engine.Storage.LocalObjectStore(_fx.Repository), false, default))
        {
            var state = Providers.PostgreSql.Cluster.ClusterBackupState.From((await repository.ReadManifestAsync(Collection, newFull.Id, default)).Targets.Single());
            Assert.Equal(2, state.Timeline);
        }
        // The old chain still restores (its data as of its backup).
        var destination = _fx.Temp.Combine("old-chain");
        var outcome = Assert.Single(await _fx.RestoreAsync(before.Id, destination));
        Assert.True(outcome.Error == null, outcome.Error?.Message);
        var restored = await ThrowawayCluster.StartRestoredAsync(destination);
        _clusters.Add(restored);
        Assert.Equal([1, 2, 3], await restored.IdsAsync("t"));
    }

    [Fact]
    public async Task Lag_above_MaxDataLoss_is_refused_and_changes_nothing_and_the_plan_says_so()
    {
        await StartAsync();
        await _standby.ExecuteAsync("ALTER SYSTEM SET primary_conninfo = ''");
        await _standby.ExecuteAsync("SELECT pg_reload_conf()");
        await Task.Delay(500);
        await _primary.ExecuteAsync("INSERT INTO t SELECT generate_series(100, 5000)");
        var json = CollectionJson();

        var plan = await _fx.Engine.PlanFailoverAsync(new FailoverRequest(Collection) { Repository = _fx.Repository, MaxDataLossBytes = 1000 });
        Assert.True(plan.WouldRefuse);
        Assert.True(plan.EstimatedDataLossBytes > 1000, plan.Basis);
        Assert.Contains("estimated data loss", plan.Describe());

        var (steps, summary, error) = await FailoverAsync(r => r with { MaxDataLossBytes = 1000, BeforePromote = (_, _) => throw new InvalidOperationException("must not run") });
        Assert.Null(summary);
        Assert.Equal("FailoverDataLossTooHigh", Assert.IsType<FailoverDataLossException>(error).ErrorId);
        Assert.Contains("Nothing was changed", error!.Message);
        var step = Assert.Single(steps);
        Assert.Equal(("Assess", FailoverStepStatus.Refused), (step.Step, step.Status));
        Assert.True(await _standby.ScalarAsync<bool>("SELECT pg_is_in_recovery()"));
        Assert.False(await _primary.ScalarAsync<bool>("SELECT pg_is_in_recovery()"));
        Assert.Equal(json, CollectionJson());
        Assert.Single(await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository, Collection = Collection }));
    }

    [Fact]
    public async Task The_loss_is_reassessed_after_BeforePromote_and_refused_when_the_primary_wrote_more_meanwhile()
    {
        await StartAsync();
        var json = CollectionJson();
        var (steps, summary, error) = await FailoverAsync(r => r with
        {
            MaxDataLossBytes = 1000,
            // Assessed at 0 bytes; then, inside the hook, the standby stops receiving and the primary writes on.
            BeforePromote = async (_, _) =>
            {
                await _standby.ExecuteAsync("ALTER SYSTEM SET primary_conninfo = ''");
                await _standby.ExecuteAsync("SELECT pg_reload_conf()");
                var clock = Stopwatch.StartNew();
                while (await _standby.ScalarAsync<long>("SELECT count(*) FROM pg_stat_wal_receiver") > 0)
                {
                    if (clock.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException("the standby kept receiving");
                    await Task.Delay(50);
                }
                await _primary.ExecuteAsync("INSERT INTO t SELECT generate_series(100, 5000)");
            },
        });
        Assert.Null(summary);
        Assert.Equal("FailoverDataLossTooHigh", Assert.IsType<FailoverDataLossException>(error).ErrorId);
        Assert.StartsWith("After -BeforePromote", error!.Message);
        Assert.Contains("the assessment before the hook estimated 0 bytes", error.Message);
        Assert.Contains("nothing was promoted", error.Message);
        Assert.Equal([("Assess", FailoverStepStatus.Done), ("BeforePromote", FailoverStepStatus.Done), ("Reassess", FailoverStepStatus.Refused)],
            steps.Select(s => (s.Step, s.Status)));
        Assert.Contains("estimated data loss 0 bytes", steps[0].Detail);
        Assert.Matches(@"estimated data loss \d+ bytes \(limit 1000 bytes; 0 bytes at the assessment\)", steps[2].Detail);
        Assert.True(await _standby.ScalarAsync<bool>("SELECT pg_is_in_recovery()"));
        Assert.False(await _primary.ScalarAsync<bool>("SELECT pg_is_in_recovery()"));
        Assert.Equal(json, CollectionJson());
        Assert.Single(await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository, Collection = Collection }));
    }

    [Fact]
    public async Task With_the_primary_stopped_the_standby_is_promoted_with_a_loss_estimate_from_the_archive()
    {
        await StartAsync();
        await _primary.ExecuteAsync("INSERT INTO t VALUES (4)");
        await _primary.SwitchWalAndWaitArchivedAsync();
        await CaughtUpAsync();
        _primary.Stop();

        var (steps, summary, error) = await FailoverAsync(r => r with { MaxDataLossBytes = 16 << 20, Backup = false });
        Assert.True(error == null, error?.Message + "\n" + string.Join("\n", steps));
        Assert.False(summary!.OldPrimaryReachable);
        Assert.NotNull(summary.EstimatedDataLossBytes);
        Assert.InRange(summary.EstimatedDataLossBytes!.Value, 0, 16 << 20);
        Assert.Contains("does not answer", summary.DataLossBasis);
        Assert.Contains("the archive ends at", summary.DataLossBasis);
        Assert.Equal(FailoverStepStatus.Skipped, steps[^1].Status);
        Assert.False(await _standby.ScalarAsync<bool>("SELECT pg_is_in_recovery()"));
        Assert.Equal([1, 2, 3, 4], await _standby.IdsAsync("t"));
    }

    [Fact]
    public async Task A_throwing_hook_stops_the_failover_with_the_state_reported_and_nothing_promoted()
    {
        await StartAsync();
        var json = CollectionJson();
        var (steps, summary, error) = await FailoverAsync(r => r with { BeforePromote = (_, _) => throw new InvalidOperationException("fencing failed") });
        Assert.Null(summary);
        Assert.Equal("FailoverHookFailed", Assert.IsType<FailoverHookFailedException>(error).ErrorId);
        Assert.Contains("fencing failed", error!.Message);
        Assert.Contains("nothing was promoted", error.Message);
        Assert.Equal(["Assess", "BeforePromote"], steps.Select(s => s.Step));
        Assert.Equal(FailoverStepStatus.Failed, steps[1].Status);
        Assert.True(await _standby.ScalarAsync<bool>("SELECT pg_is_in_recovery()"));
        Assert.Equal(json, CollectionJson());
    }
}
