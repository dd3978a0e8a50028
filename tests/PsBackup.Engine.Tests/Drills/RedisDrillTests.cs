using System.Security.Cryptography;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Providers.Redis;
using PsBackup.Engine.Tests.Peers;
using PsBackup.Engine.Tests.Redis;
using PsBackup.Engine.Tests.Support;
using StackExchange.Redis;

namespace PsBackup.Engine.Tests.Drills;

/// <summary>
/// Restore drills of Redis targets (issue 15): a snapshot loaded by a redis-server of the drill's own,
/// a logical backup restored under a prefix into a drill server; key counts per database compared
/// with the backup's record and the server, sampled values and expiry times compared; a key dropped
/// from a resealed RDB and a flipped byte fail; no server process, folder or key is left behind.
/// </summary>
[Collection(DrillCollection.Name)]
public sealed class RedisDrillTests : IDisposable
{
    private readonly EngineFixture _fx = new();
    private readonly RedisServer _source = RedisServer.Start();

    public void Dispose()
    {
        _source.Dispose();
        _fx.Dispose();
    }

    /// <summary>Processes whose command line names a drill folder (the drills' own redis-servers).</summary>
    private static List<int> DrillProcesses() =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(p => int.TryParse(p, out _))
            .Where(pid =>
            {
                try { return File.ReadAllText($"/proc/{pid}/cmdline").Contains("psbackup-drill-", StringComparison.Ordinal); }
                catch (IOException) { return false; }
                catch (UnauthorizedAccessException) { return false; }
            })
            .Select(int.Parse!).ToList();

    private void Fill()
    {
        using var redis = _source.Connect();
        RedisData.FillEveryType(redis.GetDatabase(0), "all:");
        RedisData.FillMany(redis.GetDatabase(3), "many:", 2000);
        redis.GetDatabase(3).StringSet("soon", "gone", TimeSpan.FromMinutes(30));
    }

    [Fact]
    public async Task A_snapshot_drill_loads_the_rdb_into_a_server_of_its_own_and_compares_counts_values_and_expiries()
    {
        Fill();
        await _fx.NewCollectionAsync("cache", targets: RedisTestSupport.Target("cache", _source.Endpoint));
        var backup = (await RedisTestSupport.BackupAsync(_fx, "cache")).Backup;
        int keys0;
        using (var redis = _source.Connect()) keys0 = (int)redis.GetServer(_source.Endpoint).DatabaseSize(0);
        var folders = DrillSupport.ScratchFolders();
        var processes = DrillProcesses();

        var before = DateTimeOffset.UtcNow;
        var outcome = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("cache")));
        var result = DrillSupport.AssertPassed(outcome, before, DateTimeOffset.UtcNow, backup.EndTime);
        Assert.Equal($"db 0: {keys0}, db 3: 2001", result.Check("keys in the backup against its record (the server's RESIZEDB").Observed);
        Assert.Equal(($"{keys0} keys", $"{keys0} keys"), (result.Check("keys in database 0").Expected, result.Check("keys in database 0").Observed));
        Assert.Equal("2001 keys", result.Check("keys in database 3").Observed);
        Assert.StartsWith("50 identical", result.Check("values of 50 sampled keys in database 3").Observed);
        Assert.StartsWith($"{Math.Min(50, keys0)} identical", result.Check($"values of {Math.Min(50, keys0)} sampled keys in database 0").Observed);
        Assert.Equal("identical", result.Check("expiry times of the sampled keys in database 0").Observed);
        Assert.Contains("redis-server on 127.0.0.1:", result.RestoredTo);
        Assert.Empty(DrillSupport.ScratchFolders().Except(folders)); // other tests' drills may run beside this one
        Assert.Empty(DrillProcesses().Except(processes));
        // Where the time went (the verbose line): the census the backup recorded read at the checks (not the RDB), its dump.rdb removed during the checks.
        foreach (var stage in new[] { "scratch ", "restore ", "checks: backup's census read ", "start ", "checks ", "clean-up: dump.rdb removed (during the checks) ", "clean-up: folder removed ", "clean-up " })
            Assert.Contains(stage, outcome.Stages);
        Assert.DoesNotContain("RDB read", outcome.Stages);
    }

    [Fact]
    public async Task A_backup_made_before_drill_censuses_is_drilled_by_reading_its_rdb_while_the_server_loads()
    {
        Fill();
        await _fx.NewCollectionAsync("old", targets: RedisTestSupport.Target("old", _source.Endpoint));
        var backup = (await RedisTestSupport.BackupAsync(_fx, "old")).Backup;
        ArtifactTamper.Remove(_fx.Repository, "old", backup.Id, "old", RedisDrillCensus.Artifact);
        int keys0;
        using (var redis = _source.Connect()) keys0 = (int)redis.GetServer(_source.Endpoint).DatabaseSize(0);

        var before = DateTimeOffset.UtcNow;
        var outcome = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("old")));
        var result = DrillSupport.AssertPassed(outcome, before, DateTimeOffset.UtcNow, backup.EndTime);
        Assert.Equal($"db 0: {keys0}, db 3: 2001", result.Check("keys in the backup against its record (the server's RESIZEDB").Observed);
        Assert.Equal("2001 keys", result.Check("keys in database 3").Observed);
        Assert.StartsWith("50 identical", result.Check("values of 50 sampled keys in database 3").Observed);
        Assert.Contains("checks: backup's RDB read ", outcome.Stages);
        Assert.DoesNotContain("census", outcome.Stages);

        // A key dropped from its resealed RDB: only the server's RESIZEDB counts in the file tell.
        ArtifactTamper.Rewrite(_fx.Repository, "old", backup.Id, "old", "dump.rdb", rdb => WithoutKey(rdb, "many:18"));
        outcome = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("old")));
        Assert.Equal("RestoreDrillFailed", outcome.Error!.ErrorId);
        Assert.Equal("no keys", outcome.Result.Check("keys in the backup against its record (the server's RESIZEDB").Expected);
    }

    [Fact]
    public async Task The_census_is_counted_from_the_snapshot_as_it_streams_and_a_flipped_byte_in_it_fails_the_drill()
    {
        Fill();
        await _fx.NewCollectionAsync("census", targets: RedisTestSupport.Target("census", _source.Endpoint));
        var backup = (await RedisTestSupport.BackupAsync(_fx, "census")).Backup;
        // The census equals what the kind's reader finds in the stored RDB, read afterwards.
        var folder = Path.Combine(_fx.Repository, "collections", "census", "backups", backup.Id);
        var census = Path.Combine(folder, (string)Tamper.Read(Path.Combine(folder, "manifest.json"))["targets"]![0]!["artifacts"]!
            .Single(a => (string)a["name"]! == RedisDrillCensus.Artifact)["path"]!);
        var rdb = Directory.EnumerateFiles(folder, "dump.rdb*", SearchOption.AllDirectories).Single();
        var recorded = await RedisDrillCensus.ReadAsync(new MemoryStream(ArtifactTamper.ReadPlain(census)), backup.Id, CancellationToken.None);
        var reader = new RdbReader(new MemoryStream(ArtifactTamper.ReadPlain(rdb)), "test", keepValues: true);
        var keys = new Dictionary<int, long>();
        var values = new Dictionary<(int, string), (byte Type, byte[] Value, long ExpireAt)>();
        var expiring = 0;
        foreach (var entry in reader.Entries())
        {
            keys[entry.Database] = keys.GetValueOrDefault(entry.Database) + 1;
            values[(entry.Database, Convert.ToHexString(entry.Key))] = (entry.Type, entry.Value.ToArray(), entry.ExpireAtMs);
            if (entry.ExpireAtMs >= 0) expiring++;
        }
        Assert.Equal(keys.OrderBy(k => k.Key), recorded.Keys.OrderBy(k => k.Key));
        Assert.Equal(reader.DatabaseSizes.OrderBy(k => k.Key), recorded.Hints.OrderBy(k => k.Key));
        Assert.Equal(reader.Version, recorded.Version);
        Assert.Equal(expiring, recorded.Expiring.Values.Sum(e => e.Count));
        Assert.Equal(50 + Math.Min(50, (int)keys[0]), recorded.Samples.Count);
        foreach (var sample in recorded.Samples)
        {
            var stored = values[(sample.Database, Convert.ToHexString(sample.Key))];
            Assert.Equal((stored.Type, Convert.ToHexString(stored.Value), stored.ExpireAt), (sample.Type, Convert.ToHexString(sample.Value), sample.ExpireAtMs));
        }

        var folders = DrillSupport.ScratchFolders();
        var processes = DrillProcesses();
        var bytes = await File.ReadAllBytesAsync(census);
        bytes[bytes.Length / 2] ^= 0x04;
        await File.WriteAllBytesAsync(census, bytes);
        var outcome = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("census")));
        Assert.Equal(DrillStatus.Failed, outcome.Result.Status);
        Assert.Equal("ArtifactCorrupt", outcome.Error!.ErrorId);
        Assert.Empty(DrillSupport.ScratchFolders().Except(folders));
        Assert.Empty(DrillProcesses().Except(processes));
    }

    [Fact]
    public async Task KeepRestored_stops_the_server_and_keeps_its_folder_with_the_dump_but_not_the_password()
    {
        Fill();
        await _fx.NewCollectionAsync("kept", targets: RedisTestSupport.Target("kept", _source.Endpoint));
        await RedisTestSupport.BackupAsync(_fx, "kept");
        var folders = DrillSupport.ScratchFolders();
        var processes = DrillProcesses();

        var outcome = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("kept") { KeepRestored = true }));
        Assert.Equal(DrillStatus.Passed, outcome.Result.Status);
        Assert.True(outcome.Result.Kept);
        var kept = outcome.Result.RestoredTo.Split(" (redis-server")[0];
        Assert.Contains(kept, DrillSupport.ScratchFolders().Except(folders));
        try
        {
            Assert.True(new FileInfo(Path.Combine(kept, "dump.rdb")).Length > 0, "the kept folder lost its dump.rdb");
            Assert.False(File.Exists(Path.Combine(kept, "redis.conf")), "the drill's password stayed behind");
            Assert.DoesNotContain("dump.rdb removed", outcome.Stages);
            Assert.Empty(DrillProcesses().Except(processes));
        }
        finally
        {
            Directory.Delete(kept, recursive: true);
        }
    }

    [Fact]
    public async Task A_logical_drill_into_a_drill_server_uses_a_prefix_and_deletes_exactly_its_keys()
    {
        Fill();
        await _fx.NewCollectionAsync("keys", targets: RedisTestSupport.Target("keys", _source.Endpoint, RedisBackupMode.Logical, databases: [0, 3]));
        await RedisTestSupport.BackupAsync(_fx, "keys");
        using var drillServer = RedisServer.Start();
        using (var redis = drillServer.Connect()) redis.GetDatabase(3).StringSet("someone-elses", "stays");

        var outcome = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("keys") { DrillServer = drillServer.Endpoint }));
        Assert.True(outcome.Result.Status == DrillStatus.Passed, outcome.Result.Reason);
        Assert.Equal(outcome.Result.Check("keys in the backup against its record (counted by the logical backup)").Expected,
            outcome.Result.Check("keys in the backup against its record").Observed);
        Assert.Equal("2001 keys", outcome.Result.Check("keys in database 3").Observed); // the server's own key is not counted
        Assert.StartsWith($"keys psbackup-drill:{outcome.Result.DrillId}:* on Redis", outcome.Result.RestoredTo);
        using (var redis = drillServer.Connect())
        {
            var server = redis.GetServer(drillServer.Endpoint);
            Assert.Equal(0, server.DatabaseSize(0));
            Assert.Equal(1, server.DatabaseSize(3));
            Assert.Equal("stays", (string?)redis.GetDatabase(3).StringGet("someone-elses"));
        }
    }

    [Fact]
    public async Task A_key_dropped_from_a_resealed_rdb_and_a_flipped_byte_fail_the_drill()
    {
        Fill();
        await _fx.NewCollectionAsync("logical", targets: RedisTestSupport.Target("logical", _source.Endpoint, RedisBackupMode.Logical, databases: [3]));
        var logical = (await RedisTestSupport.BackupAsync(_fx, "logical")).Backup;
        ArtifactTamper.Rewrite(_fx.Repository, "logical", logical.Id, "logical", "dump.rdb", rdb => WithoutKey(rdb, "many:17"));
        Assert.All(await _fx.VerifyAsync(logical.Id), f => Assert.Equal(VerificationStatus.Ok, f.Status));
        var folders = DrillSupport.ScratchFolders();
        var processes = DrillProcesses();

        var outcome = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("logical")));
        Assert.Equal("RestoreDrillFailed", outcome.Error!.ErrorId);
        // The server holds what the tampered file holds; the census recorded at backup time holds what the backup wrote.
        var check = outcome.Result.Check("keys in database 3");
        Assert.Equal(("2001 keys", "2000 keys", false), (check.Expected, check.Observed, check.Passed));
        Assert.Empty(DrillSupport.ScratchFolders().Except(folders)); // other tests' drills may run beside this one
        Assert.Empty(DrillProcesses().Except(processes));

        // A snapshot rewritten without the server's RESIZEDB counts (as any other tool would write it) is refused too.
        await _fx.NewCollectionAsync("snapshot", targets: RedisTestSupport.Target("snapshot", _source.Endpoint));
        var snapshot = (await RedisTestSupport.BackupAsync(_fx, "snapshot")).Backup;
        ArtifactTamper.Rewrite(_fx.Repository, "snapshot", snapshot.Id, "snapshot", "dump.rdb", rdb => WithoutKey(rdb, "many:18"));
        outcome = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("snapshot")));
        Assert.Equal("RestoreDrillFailed", outcome.Error!.ErrorId);
        Assert.Equal(("2001 keys", "2000 keys"), (outcome.Result.Check("keys in database 3").Expected, outcome.Result.Check("keys in database 3").Observed));

        // A flipped byte: the restore refuses the artifact.
        var artifact = Directory.EnumerateFiles(Path.Combine(_fx.Repository, "collections", "snapshot"), "dump.rdb*", SearchOption.AllDirectories).Single();
        var bytes = await File.ReadAllBytesAsync(artifact);
        bytes[bytes.Length / 2] ^= 0x04;
        await File.WriteAllBytesAsync(artifact, bytes);
        outcome = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("snapshot")));
        Assert.Equal("ArtifactCorrupt", outcome.Error!.ErrorId);
        Assert.Empty(DrillSupport.ScratchFolders().Except(folders)); // other tests' drills may run beside this one
        Assert.Empty(DrillProcesses().Except(processes));
    }

    [Fact]
    public async Task Cancelled_while_its_server_runs_the_drill_stops_it_and_removes_the_folder()
    {
        using (var redis = _source.Connect()) RedisData.FillMany(redis.GetDatabase(0), "bulk:", 60_000);
        await _fx.NewCollectionAsync("cancel", targets: RedisTestSupport.Target("cancel", _source.Endpoint));
        await RedisTestSupport.BackupAsync(_fx, "cancel");
        var folders = DrillSupport.ScratchFolders();
        var processes = DrillProcesses();
        // Stopped when the drill reports its checks, i.e. once its own server has loaded the RDB (deterministic, unlike racing a scan of /proc).
        using var cts = new CancellationTokenSource();
        var serverRan = false;
        var progress = new SynchronousProgress(p =>
        {
            if (!p.Status.StartsWith("Checking target", StringComparison.Ordinal)) return;
            // redis-server renames its process title, so a scan of /proc cannot see it: its log in the new scratch folder says it ran.
            serverRan = DrillSupport.ScratchFolders().Except(folders).Any(f => File.Exists(Path.Combine(f, "redis.log")) && new FileInfo(Path.Combine(f, "redis.log")).Length > 0);
            cts.Cancel();
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _fx.DrillAsync(new RestoreDrillRequest("cancel"), progress, cts.Token));
        Assert.True(serverRan, "the drill's own redis-server was not running when it was stopped");
        Assert.Empty(DrillSupport.ScratchFolders().Except(folders)); // other tests' drills may run beside this one
        Assert.Empty(DrillProcesses().Except(processes));
        Assert.Empty(await _fx.RecordedAsync("cancel"));
    }

    [Fact]
    public async Task Without_redis_server_and_without_a_drill_server_the_error_names_what_is_missing()
    {
        await _fx.NewCollectionAsync("nobinary", targets: RedisTestSupport.Target("nobinary", _source.Endpoint));
        await RedisTestSupport.BackupAsync(_fx, "nobinary");
        var saved = Environment.GetEnvironmentVariable("PSBACKUP_REDIS_SERVER");
        Environment.SetEnvironmentVariable("PSBACKUP_REDIS_SERVER", "/nonexistent/redis-server");
        try
        {
            var outcome = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("nobinary")));
            Assert.Equal("DrillPrerequisiteMissing", outcome.Error!.ErrorId);
            Assert.Contains("needs redis-server on this machine", outcome.Result.Reason);
            Assert.Contains("-DrillServer", outcome.Result.Reason);
        }
        finally
        {
            Environment.SetEnvironmentVariable("PSBACKUP_REDIS_SERVER", saved);
        }
    }

    /// <summary>The RDB rewritten by PsBackup's own writer without one key (CRC recomputed).</summary>
    private static byte[] WithoutKey(byte[] rdb, string dropped)
    {
        using var input = new MemoryStream(rdb);
        using var output = new MemoryStream();
        var reader = new RdbReader(input, "test", keepValues: true);
        using (var writer = new RdbWriter(output))
        {
            foreach (var entry in reader.Entries())
                if (System.Text.Encoding.UTF8.GetString(entry.Key) != dropped)
                    writer.WriteKey(entry.Database, entry.Key, entry.ExpireAtMs, entry.Type, entry.Value.Span, reader.Version);
            writer.Finish();
        }
        return output.ToArray();
    }
}

/// <summary>An IProgress that runs its handler on the reporting thread (Progress&lt;T&gt; posts it to the pool, too late to act on).</summary>
internal sealed class SynchronousProgress(Action<BackupProgress> handler) : IProgress<BackupProgress>
{
    public void Report(BackupProgress value) => handler(value);
}
