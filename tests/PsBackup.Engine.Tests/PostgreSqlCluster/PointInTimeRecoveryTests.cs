using PsBackup.Engine.Errors;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Providers;
using PsBackup.Engine.Providers.PostgreSql.Cluster;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.PostgreSqlCluster;

/// <summary>
/// Base backups, WAL archiving through psbackup-cli archive-wal, and point-in-time recovery
/// against real PostgreSQL clusters: every restored cluster is started and its rows compared.
/// </summary>
public sealed class PointInTimeRecoveryTests : IDisposable
{
    private readonly EngineFixture _fx = new();
    private readonly List<ThrowawayCluster> _clusters = [];

    public void Dispose()
    {
        foreach (var cluster in _clusters) cluster.Dispose();
        _fx.Dispose();
    }

    private async Task<ThrowawayCluster> PrimaryAsync(string collection)
    {
        var cluster = await ThrowawayCluster.CreateAsync(_fx.Temp.Combine("primary"), ThrowawayCluster.ArchiveCommand(_fx.Repository, collection));
        _clusters.Add(cluster);
        await _fx.NewCollectionAsync(collection, targets: cluster.Target("pg"));
        ThrowawayCluster.ShareWithPostgres(_fx.Repository);
        await cluster.ExecuteAsync("CREATE TABLE t (id int PRIMARY KEY)");
        return cluster;
    }

    /// <summary>One row per transaction; returns the server's clock after the commit.</summary>
    private static async Task<DateTime> InsertAsync(ThrowawayCluster cluster, int id)
    {
        await cluster.ExecuteAsync($"INSERT INTO t VALUES ({id})");
        var after = await cluster.NowAsync();
        await Task.Delay(20);
        return after;
    }

    private async Task<List<int>> RestoreAndReadAsync(string id, string name, RecoveryTarget? recovery)
    {
        var destination = _fx.Temp.Combine(name);
        var outcomes = new List<RestoreOutcome>();
        await foreach (var outcome in _fx.Engine.RestoreAsync(new RestoreRequest(id) { Repository = _fx.Repository, Destination = destination, Recovery = recovery }))
            outcomes.Add(outcome);
        var result = Assert.Single(outcomes);
        Assert.Null(result.Error);
        var restored = await ThrowawayCluster.StartRestoredAsync(destination);
        _clusters.Add(restored);
        try
        {
            Assert.False(await restored.ScalarAsync<bool>("SELECT pg_is_in_recovery()")); // promoted
            return await restored.IdsAsync("t");
        }
        finally
        {
            restored.Stop();
        }
    }

    [Fact]
    public async Task Restores_exactly_the_rows_committed_before_each_of_three_points()
    {
        var primary = await PrimaryAsync("pitr");
        var points = new Dictionary<int, DateTime>();
        for (var id = 1; id <= 3; id++)
        {
            points[id] = await InsertAsync(primary, id);
            if (id % 2 == 0) await primary.SwitchWalAndWaitArchivedAsync();
        }
        var full = await _fx.BackupAsync("pitr");
        string? lsnAfter5 = null;
        for (var id = 4; id <= 9; id++)
        {
            points[id] = await InsertAsync(primary, id);
            if (id == 5) lsnAfter5 = (await primary.ScalarAsync<object>("SELECT pg_current_wal_lsn()::text")).ToString();
            if (id % 2 == 1) await primary.SwitchWalAndWaitArchivedAsync(); // rows 5, 7, 9 close a segment
        }
        var incremental = await _fx.BackupAsync("pitr", BackupType.Incremental);
        points[10] = await InsertAsync(primary, 10); // a commit after the last target, in a segment archived below
        await primary.SwitchWalAndWaitArchivedAsync();

        // The window runs from the end of the base backup to the last archived commit.
        var window = Assert.Single(await _fx.Engine.GetRecoveryWindowsAsync(new RecoveryWindowQuery { Repository = _fx.Repository }));
        Assert.Equal(full.EndTime, window.Earliest);
        Assert.True(window.Latest >= new DateTimeOffset(points[10], TimeSpan.Zero).AddSeconds(-1), $"latest {window.Latest} vs last commit ~{points[10]:O}");
        Assert.Null(window.MissingSegment);
        Assert.Equal(1, window.Timeline);

        // Three points in time after the base backup, restored from the newest backup (the chooser steps back as needed).
        Assert.Equal([1, 2, 3, 4], await RestoreAndReadAsync(incremental.Id, "at4", new RecoveryTarget { Time = points[4] }));
        Assert.Equal([1, 2, 3, 4, 5, 6], await RestoreAndReadAsync(incremental.Id, "at6", new RecoveryTarget { Time = points[6] }));
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], await RestoreAndReadAsync(incremental.Id, "at8", new RecoveryTarget { Time = points[8] }));
        // An LSN, the incremental itself (WAL up to its segment switch), the base alone, and all archived WAL.
        Assert.Equal([1, 2, 3, 4, 5], await RestoreAndReadAsync(incremental.Id, "lsn5", new RecoveryTarget { Position = lsnAfter5 }));
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 9], await RestoreAndReadAsync(incremental.Id, "incremental", null));
        Assert.Equal([1, 2, 3], await RestoreAndReadAsync(full.Id, "base", null));
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], await RestoreAndReadAsync(full.Id, "latest", new RecoveryTarget { EndOfArchive = true }));

        // Outside the window: a clear error naming it, and nothing written.
        foreach (var (time, name) in new[] { (points[2], "before"), (DateTime.UtcNow.AddHours(1), "after") })
        {
            var destination = _fx.Temp.Combine(name);
            var outcome = Assert.Single(await _fx.RestoreAsync(incremental.Id, destination, recovery: new RecoveryTarget { Time = time }));
            var error = Assert.IsType<RecoveryTargetOutOfRangeException>(outcome.Error);
            Assert.Equal("RecoveryTargetOutOfRange", error.ErrorId);
            Assert.Contains($"the recoverable window is {full.EndTime:yyyy-MM-dd HH:mm:ss.ffffff zzz} to ", error.Message);
            Assert.False(Directory.Exists(destination));
        }
    }

    [Fact]
    public async Task A_missing_WAL_segment_makes_the_restore_refuse_naming_it()
    {
        var primary = await PrimaryAsync("gap");
        await InsertAsync(primary, 1);
        await _fx.BackupAsync("gap");
        await InsertAsync(primary, 2);
        var lost = await primary.ScalarAsync<string>("SELECT pg_walfile_name(pg_current_wal_lsn())");
        await primary.SwitchWalAndWaitArchivedAsync();
        var point = await InsertAsync(primary, 3);
        await primary.SwitchWalAndWaitArchivedAsync();
        await InsertAsync(primary, 4);
        await primary.SwitchWalAndWaitArchivedAsync();
        var latest = Assert.Single(await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository }));

        // Lose one archived segment after the base backup.
        var folder = Path.Combine(_fx.Repository, "collections", "gap", "wal", lost[..8]);
        foreach (var file in Directory.GetFiles(folder, lost + ".*")) File.Delete(file);

        var destination = _fx.Temp.Combine("restore");
        var outcome = Assert.Single(await _fx.RestoreAsync(latest.Id, destination, recovery: new RecoveryTarget { Time = point }));
        var error = Assert.IsType<WalSegmentMissingException>(outcome.Error);
        Assert.Equal("WalSegmentMissing", error.ErrorId);
        Assert.Contains($"'{lost}'", error.Message);
        Assert.False(Directory.Exists(destination));

        var window = Assert.Single(await _fx.Engine.GetRecoveryWindowsAsync(new RecoveryWindowQuery { Repository = _fx.Repository, Collection = "gap" }));
        Assert.Equal(lost, window.MissingSegment);
    }
}
