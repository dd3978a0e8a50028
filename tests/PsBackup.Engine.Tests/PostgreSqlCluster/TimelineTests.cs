using PsBackup.Engine.Operations;
using PsBackup.Engine.Providers;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.PostgreSqlCluster;

/// <summary>
/// A streaming replica is promoted: it archives 00000002.history and timeline-2 WAL into the same
/// collection, and a point-in-time restore from the base backup taken on timeline 1 crosses the switch.
/// </summary>
public sealed class TimelineTests : IDisposable
{
    private readonly EngineFixture _fx = new();
    private readonly List<ThrowawayCluster> _clusters = [];

    public void Dispose()
    {
        foreach (var cluster in _clusters) cluster.Dispose();
        _fx.Dispose();
    }

    [Fact]
    public async Task A_server_archiving_with_an_empty_archive_command_is_refused_at_once_instead_of_waiting_forever()
    {
        var primary = await ThrowawayCluster.CreateAsync(_fx.Temp.Combine("empty"), "");
        _clusters.Add(primary);
        await _fx.NewCollectionAsync("empty", targets: primary.Target("pg"));
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var error = await Assert.ThrowsAnyAsync<PsBackup.Engine.Errors.PsBackupException>(() =>
            _fx.Engine.InvokeBackupAsync(new BackupRequest("empty") { Repository = _fx.Repository }, ct: limit.Token));
        Assert.Equal("WalArchivingOff", error.ErrorId);
        Assert.Contains("empty archive_command", error.Message);
        Assert.Empty(await _fx.Engine.GetBackupsAsync(new BackupQuery { Collection = "empty", Repository = _fx.Repository }));
    }

    [Fact]
    public async Task Restore_to_a_point_after_a_promotion_follows_the_new_timeline()
    {
        var primary = await ThrowawayCluster.CreateAsync(_fx.Temp.Combine("primary"), ThrowawayCluster.ArchiveCommand(_fx.Repository, "tl"));
        _clusters.Add(primary);
        await _fx.NewCollectionAsync("tl", targets: primary.Target("pg"));
        ThrowawayCluster.ShareWithPostgres(_fx.Repository);
        await primary.ExecuteAsync("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)");
        var full = await _fx.BackupAsync("tl");
        var replica = await ThrowawayCluster.ReplicaOfAsync(primary, _fx.Temp.Combine("replica"));
        _clusters.Add(replica);

        await primary.ExecuteAsync("INSERT INTO t VALUES (2)");
        await primary.SwitchWalAndWaitArchivedAsync();
        await primary.ExecuteAsync("INSERT INTO t VALUES (3)");
        var last = await primary.ScalarAsync<object>("SELECT pg_current_wal_lsn()::text");
        await WaitReplayedAsync(replica, last.ToString()!);

        // Fail over: the old primary stops (its last, unfinished segment is never archived), the replica takes over.
        primary.Stop();
        Assert.True(await replica.ScalarAsync<bool>("SELECT pg_promote(true, 60)"));
        await replica.ExecuteAsync("INSERT INTO t VALUES (4)");
        var point = await replica.NowAsync();
        await Task.Delay(20);
        await replica.ExecuteAsync("INSERT INTO t VALUES (5)");
        await replica.SwitchWalAndWaitArchivedAsync();

        var wal = Path.Combine(_fx.Repository, "collections", "tl", "wal");
        Assert.True(File.Exists(Path.Combine(wal, "00000002", "00000002.history.json")));
        var window = Assert.Single(await _fx.Engine.GetRecoveryWindowsAsync(new RecoveryWindowQuery { Repository = _fx.Repository }));
        Assert.Equal(2, window.Timeline);
        Assert.True(window.Latest > new DateTimeOffset(point, TimeSpan.Zero), $"latest {window.Latest} should be after the promotion's row 5 (point {point:O})");

        var destination = _fx.Temp.Combine("restored");
        var outcome = Assert.Single(await _fx.RestoreAsync(full.Id, destination, recovery: new RecoveryTarget { Time = point }));
        Assert.Null(outcome.Error);
        Assert.Contains("recovery_target_timeline = '2'", File.ReadAllText(Path.Combine(destination, "postgresql.auto.conf")));
        var restored = await ThrowawayCluster.StartRestoredAsync(destination);
        _clusters.Add(restored);
        Assert.Equal([1, 2, 3, 4], await restored.IdsAsync("t"));
        Assert.Equal(3, await restored.ScalarAsync<int>("SELECT timeline_id FROM pg_control_checkpoint()")); // promoted again, past timeline 2
    }

    [Fact]
    public async Task After_a_promotion_retention_removes_the_old_timelines_WAL_before_the_new_base_backup_and_the_new_timeline_still_recovers()
    {
        var primary = await ThrowawayCluster.CreateAsync(_fx.Temp.Combine("primary"), ThrowawayCluster.ArchiveCommand(_fx.Repository, "tlx"), walSegmentMegabytes: 1);
        _clusters.Add(primary);
        await _fx.NewCollectionAsync("tlx", targets: primary.Target("pg"));
        ThrowawayCluster.ShareWithPostgres(_fx.Repository);
        await primary.ExecuteAsync("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)");
        var old = await _fx.BackupAsync("tlx");
        var replica = await ThrowawayCluster.ReplicaOfAsync(primary, _fx.Temp.Combine("replica"));
        _clusters.Add(replica);
        await primary.ExecuteAsync("INSERT INTO t VALUES (2)");
        await primary.SwitchWalAndWaitArchivedAsync();
        await WaitReplayedAsync(replica, (await primary.ScalarAsync<object>("SELECT pg_current_wal_lsn()::text")).ToString()!);

        // Fail over; the service address moves to the promoted replica, which archives timeline 2 into the same collection.
        primary.Stop();
        Assert.True(await replica.ScalarAsync<bool>("SELECT pg_promote(true, 60)"));
        await replica.TakeOverPortAsync(primary);
        await replica.ExecuteAsync("INSERT INTO t VALUES (3)");
        await replica.SwitchWalAndWaitArchivedAsync();
        var fresh = await _fx.BackupAsync("tlx"); // the new chain, on timeline 2
        await replica.ExecuteAsync("INSERT INTO t VALUES (4)");
        var point = await replica.NowAsync();
        await Task.Delay(20);
        await replica.ExecuteAsync("INSERT INTO t VALUES (5)");
        await replica.SwitchWalAndWaitArchivedAsync();

        var wal = Path.Combine(_fx.Repository, "collections", "tlx", "wal");
        var timelineOne = Directory.GetFiles(Path.Combine(wal, "00000001"), "*.json").Length;
        Assert.True(timelineOne > 2);
        var request = new RetentionRequest("tlx") { Repository = _fx.Repository, Policy = new RetentionPolicy { KeepLast = 1 } };
        var plan = await _fx.Engine.PlanRetentionAsync(request);
        Assert.Equal(old.Id, plan.Single(d => d.LogRange == null && d.Action == RetentionAction.Delete).BackupId);
        var removable = plan.Where(d => d.LogRange != null && d.Action == RetentionAction.Delete).ToList();
        Assert.Contains(removable, d => d.LogRange!.StartsWith("00000001", StringComparison.Ordinal) && d.Reasons.Contains($"older than the start of base backup {fresh.Id}"));
        Assert.Contains(plan, d => d.LogRange == "00000002.history" && d.Action == RetentionAction.Keep); // the kept WAL's timeline
        await foreach (var _ in _fx.Engine.ApplyRetentionAsync(request, plan.Where(d => d.Action == RetentionAction.Delete).Select(d => d.LogRange ?? d.BackupId).ToHashSet())) { }

        // Timeline 1's WAL is gone (everything it held lies before the new base backup), timeline 2's history stays, and the new timeline recovers.
        Assert.False(Directory.Exists(Path.Combine(wal, "00000001")) && Directory.GetFiles(Path.Combine(wal, "00000001")).Length > 0);
        Assert.True(File.Exists(Path.Combine(wal, "00000002", "00000002.history.json")));
        var window = Assert.Single(await _fx.Engine.GetRecoveryWindowsAsync(new RecoveryWindowQuery { Repository = _fx.Repository, Collection = "tlx" }));
        Assert.Equal((fresh.EndTime, 2, (string?)null), (window.Earliest, window.Timeline, window.MissingSegment));
        var destination = _fx.Temp.Combine("restored");
        var outcome = Assert.Single(await _fx.RestoreAsync(fresh.Id, destination, recovery: new RecoveryTarget { Time = point }));
        Assert.Null(outcome.Error);
        var restored = await ThrowawayCluster.StartRestoredAsync(destination);
        _clusters.Add(restored);
        Assert.Equal([1, 2, 3, 4], await restored.IdsAsync("t"));
    }

    private static async Task WaitReplayedAsync(ThrowawayCluster replica, string lsn)
    {
        for (var i = 0; i < 300; i++)
        {
            if (await replica.ScalarAsync<bool>($"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn")) return;
            await Task.Delay(100);
        }
        throw new TimeoutException($"The replica did not replay up to {lsn} within 30 s.");
    }
}
