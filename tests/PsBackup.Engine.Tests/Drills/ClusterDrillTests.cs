using System.IO.Compression;
using System.Security.Cryptography;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Providers.PostgreSql.Cluster;
using PsBackup.Engine.Tests.PostgreSqlCluster;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Drills;

/// <summary>
/// Restore drills of PostgreSQL clusters (issue 15) against throwaway clusters archiving through
/// psbackup-cli: base backup plus WAL restored into a temporary data directory, a server of the
/// drill's own started on it (as the data directory's owner: the tests run as root) until it has
/// recovered, then queried; damaged WAL stops recovery short and fails the drill; no server, folder
/// or socket is left after a pass, a failure or a cancellation.
/// </summary>
[Collection(DrillCollection.Name)]
public sealed class ClusterDrillTests : IDisposable
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

    private static async Task<DateTime> InsertAsync(ThrowawayCluster cluster, int from, int to)
    {
        await cluster.ExecuteAsync($"INSERT INTO t SELECT generate_series({from}, {to})");
        var after = await cluster.NowAsync();
        await Task.Delay(20);
        return after;
    }

    /// <summary>Processes whose command line names a drill folder (the drills' own servers).</summary>
    private static List<int> DrillProcesses() =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(p => int.TryParse(p, out _))
            .Where(pid =>
            {
                try { return File.ReadAllText($"/proc/{pid}/cmdline").Contains("psbackup-drill-", StringComparison.Ordinal); }
                catch (IOException) { return false; }
                catch (UnauthorizedAccessException) { return false; }
            })
            .Select(int.Parse!).ToList();

    [Fact]
    public async Task A_drill_recovers_to_the_end_of_the_archive_or_a_point_in_time_and_leaves_no_server()
    {
        var primary = await PrimaryAsync("pitr");
        await InsertAsync(primary, 1, 100);
        var full = await _fx.BackupAsync("pitr");
        var point = await InsertAsync(primary, 101, 150);
        await primary.SwitchWalAndWaitArchivedAsync();
        await InsertAsync(primary, 151, 175);
        await primary.SwitchWalAndWaitArchivedAsync();
        var window = Assert.Single(await _fx.Engine.GetRecoveryWindowsAsync(new RecoveryWindowQuery { Repository = _fx.Repository }));
        var folders = DrillSupport.ScratchFolders();
        var processes = DrillProcesses();

        var before = DateTimeOffset.UtcNow;
        var outcome = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("pitr") { VerifyQuery = "\\c postgres\nSELECT count(*) = 175 FROM t" }));
        var result = DrillSupport.AssertPassed(outcome, before, DateTimeOffset.UtcNow, window.Latest!.Value);
        Assert.Equal(full.Id, result.BackupId);
        Assert.Equal("the end of the archived log", result.Recovery);
        Assert.Equal("not in recovery", result.Check("recovery ended").Observed);
        Assert.StartsWith("the last commit at or after ", result.Check("recovered to the end of the archived WAL").Expected);
        Assert.Equal("True", result.Check("-VerifyQuery").Observed);
        Assert.Equal("2 databases (postgres, template1)", result.Check("databases answer queries").Expected);
        Assert.Contains("PostgreSQL on port ", result.RestoredTo);
        Assert.Empty(DrillSupport.ScratchFolders().Except(folders)); // other tests' drills may run beside this one
        Assert.Empty(DrillProcesses().Except(processes));

        // To a point in time: the rows committed by then, and not one after.
        outcome = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("pitr") { PointInTime = point, VerifyQuery = "SELECT count(*) = 150 FROM t" }));
        Assert.True(outcome.Result.Status == DrillStatus.Passed, outcome.Result.Reason);
        Assert.InRange(outcome.Result.RestoredPointInTime!.Value, new DateTimeOffset(point).AddSeconds(-5), new DateTimeOffset(point));
        Assert.StartsWith("point in time ", outcome.Result.Recovery);
        Assert.Empty(DrillProcesses().Except(processes));
        Assert.Equal(2, (await _fx.RecordedAsync("pitr")).Count);
    }

    [Fact]
    public async Task A_WAL_segment_cut_short_and_resealed_stops_recovery_early_and_fails_the_drill()
    {
        var primary = await PrimaryAsync("damaged");
        await InsertAsync(primary, 1, 10);
        await _fx.BackupAsync("damaged");
        await InsertAsync(primary, 11, 5000);
        await primary.SwitchWalAndWaitArchivedAsync();
        var segment = await primary.ScalarAsync<string>("SELECT pg_walfile_name(pg_current_wal_lsn())");
        await InsertAsync(primary, 5001, 5010);
        await primary.SwitchWalAndWaitArchivedAsync();

        // Zero the segment holding the last commit after its page header and reseal its entry: every repository check passes.
        var folder = Path.Combine(_fx.Repository, "collections", "damaged", "wal", segment[..8]);
        var data = Directory.GetFiles(folder, segment + ".*").Single(f => System.Text.RegularExpressions.Regex.IsMatch(Path.GetFileName(f), $"^{segment}\\.[0-9a-f]{{8}}\\.(zst|br)$"));
        var plain = ArtifactTamper.ReadPlain(data);
        Array.Clear(plain, 40, plain.Length - 40); // XLogLongPageHeaderData is 40 bytes
        ArtifactTamper.WritePlain(data, plain);
        Tamper.Edit(Path.Combine(folder, segment + ".json"), entry =>
        {
            entry["sha256"] = Convert.ToHexString(SHA256.HashData(plain)).ToLowerInvariant();
            entry["storedSize"] = new FileInfo(data).Length;
        });
        var folders = DrillSupport.ScratchFolders();
        var processes = DrillProcesses();

        var outcome = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("damaged")));
        Assert.Equal(DrillStatus.Failed, outcome.Result.Status);
        Assert.Equal("RestoreDrillFailed", outcome.Error!.ErrorId);
        Assert.False(outcome.Result.Check("recovered to the end of the archived WAL").Passed);
        Assert.Contains("recovered to the end of the archived WAL: expected the last commit at or after ", outcome.Result.Reason);
        Assert.Empty(DrillSupport.ScratchFolders().Except(folders)); // other tests' drills may run beside this one
        Assert.Empty(DrillProcesses().Except(processes));

        // A flipped byte in the base backup: the restore refuses it.
        var tar = Directory.EnumerateFiles(Path.Combine(_fx.Repository, "collections", "damaged", "backups"), "base.tar*", SearchOption.AllDirectories).Single();
        var bytes = await File.ReadAllBytesAsync(tar);
        bytes[bytes.Length / 2] ^= 0x20;
        await File.WriteAllBytesAsync(tar, bytes);
        outcome = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("damaged")));
        Assert.Equal("ArtifactCorrupt", outcome.Error!.ErrorId);
        Assert.Empty(DrillSupport.ScratchFolders().Except(folders)); // other tests' drills may run beside this one
        Assert.Empty(DrillProcesses().Except(processes));
    }

    [Fact]
    public async Task Cancelled_while_its_server_recovers_the_drill_stops_it_and_removes_everything()
    {
        var primary = await PrimaryAsync("cancel");
        await InsertAsync(primary, 1, 10);
        await _fx.BackupAsync("cancel");
        for (var i = 0; i < 3; i++)
        {
            await InsertAsync(primary, 100 + i * 20000, 100 + i * 20000 + 19999);
            await primary.SwitchWalAndWaitArchivedAsync();
        }
        var folders = DrillSupport.ScratchFolders();
        var processes = DrillProcesses();
        using var cts = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            while (!cts.IsCancellationRequested)
            {
                if (DrillProcesses().Except(processes).Any())
                {
                    cts.Cancel();
                    return true;
                }
                await Task.Delay(10);
            }
            return false;
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _fx.DrillAsync(new RestoreDrillRequest("cancel"), ct: cts.Token));
        Assert.True(await watcher, "the drill was not cancelled while its server ran");
        // Only what this drill made: other tests' drills may run beside it.
        Assert.Empty(DrillSupport.ScratchFolders().Except(folders));
        Assert.Empty(DrillProcesses().Except(processes));
        Assert.Empty(await _fx.RecordedAsync("cancel"));
    }

    [Fact]
    public void Without_the_backup_s_server_version_installed_the_error_names_it()
    {
        var error = Assert.Throws<DrillPrerequisiteMissingException>(() => ClusterDrill.ServerProgram(99, "pg"));
        Assert.Equal("DrillPrerequisiteMissing", error.ErrorId);
        Assert.Contains("postgres of PostgreSQL 99 (the backup's version)", error.Message);
        Assert.Contains("/usr/lib/postgresql/99/bin", error.Message);
    }
}
