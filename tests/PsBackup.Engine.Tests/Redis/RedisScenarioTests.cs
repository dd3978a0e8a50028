using System.Net;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Tests.Support;
using StackExchange.Redis;
using static PsBackup.Engine.Tests.Redis.RedisTestSupport;

namespace PsBackup.Engine.Tests.Redis;

/// <summary>Snapshots under load, replicas, selective backups, incrementals, and the errors a user meets.</summary>
public class RedisScenarioTests
{
    [Fact]
    public async Task Snapshot_TakenWhileWritesContinue_IsConsistentAndLoads()
    {
        using var fx = new EngineFixture();
        using var source = RedisServer.Start();
        using var redis = source.Connect();
        RedisData.FillMany(redis.GetDatabase(0), "base:", 200_000);
        using var stop = new CancellationTokenSource();
        var written = 0;
        // Each transaction writes a pair; a consistent snapshot has both keys of a pair or neither.
        var writer = Task.Run(async () =>
        {
            var db = redis.GetDatabase(1);
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var tx = db.CreateTransaction();
                _ = tx.StringSetAsync($"a:{i}", i);
                _ = tx.StringSetAsync($"b:{i}", i);
                _ = tx.StringIncrementAsync("pairs");
                await tx.ExecuteAsync();
                written = i + 1;
            }
        });
        await Task.Delay(200);
        await fx.NewCollectionAsync("rw", targets: Target("cache", source.Endpoint));
        var backup = await fx.BackupAsync("rw");
        await Task.Delay(200);
        stop.Cancel();
        await writer;

        var dataDir = fx.Temp.Combine("data");
        var file = Ok(await RestoreAsync(fx, backup.Id, dataDir)).Destination;
        CheckRdb(file);
        using var loaded = RedisServer.Start(dataDir);
        using var check = loaded.Connect();
        var db1 = check.GetDatabase(1);
        var pairs = (long)db1.StringGet("pairs");
        Assert.True(pairs > 0 && pairs < written, $"snapshot holds {pairs} pairs of {written} written: not taken while writes went on");
        var server = check.GetServer(check.GetEndPoints()[0]);
        Assert.Equal(2 * pairs + 1, server.DatabaseSize(1));
        for (var i = 0; i < pairs; i++)
            Assert.True(db1.KeyExists($"a:{i}") && db1.KeyExists($"b:{i}"), $"pair {i} incomplete");
        Assert.Equal(200_000, server.DatabaseSize(0));
    }

    [Fact]
    public async Task Snapshot_FromAReplica_RestoresThePrimarysData()
    {
        using var fx = new EngineFixture();
        using var primary = RedisServer.Start();
        using (var redis = primary.Connect())
            RedisData.FillEveryType(redis.GetDatabase(0), "p:");
        using var replica = RedisServer.Start(null, "--replicaof", "127.0.0.1", primary.Port.ToString());
        using var rep = replica.Connect();
        var repServer = rep.GetServer(rep.GetEndPoints()[0]);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!repServer.InfoRaw("replication")!.Contains("master_link_status:up") || repServer.DatabaseSize(0) == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the replica did not sync");
            await Task.Delay(100);
        }

        await fx.NewCollectionAsync("rr", targets: Target("cache", replica.Endpoint));
        var run = await BackupAsync(fx, "rr");
        Assert.Empty(run.Failures);
        using var restored = RedisServer.Start();
        Ok(await RestoreAsync(fx, run.Backup.Id, restored.Endpoint));
        using var src = primary.Connect();
        using var dst = restored.Connect();
        RedisData.AssertSame(RedisData.Read(src, 0), RedisData.Read(dst, 0));
    }

    [Fact]
    public async Task Logical_Patterns_CopyOnlyMatchingKeysOnce_AndRestoreBesideTheOriginals()
    {
        using var fx = new EngineFixture();
        using var source = RedisServer.Start();
        using var redis = source.Connect();
        var db = redis.GetDatabase(4);
        foreach (var key in new[] { "user:1", "user:2", "user:admin", "session:1", "cart:9", "other" })
            db.StringSet(key, key.ToUpperInvariant());
        redis.GetDatabase(6).StringSet("user:in-another-db", "x");
        // user:* and user:[0-9] overlap: user:1 and user:2 must be copied once.
        await fx.NewCollectionAsync("rp", targets: Target("cache", source.Endpoint, RedisBackupMode.Logical, databases: [4], patterns: ["user:*", "user:[0-9]", "session:?"]));
        var run = await BackupAsync(fx, "rp");
        Assert.Empty(run.Failures);
        var state = run.Backup.Id;

        // Into the same server and database, beside the originals.
        var result = Ok(await RestoreAsync(fx, run.Backup.Id, source.Endpoint, keyPrefix: "copy/"));
        Assert.Equal(4, result.ItemCount);
        foreach (var key in new[] { "user:1", "user:2", "user:admin", "session:1" })
            Assert.Equal(key.ToUpperInvariant(), (string?)db.StringGet("copy/" + key));
        Assert.False(db.KeyExists("copy/cart:9"));
        Assert.False(db.KeyExists("copy/other"));
        Assert.False(redis.GetDatabase(6).KeyExists("copy/user:in-another-db"));
    }

    [Fact]
    public async Task Restore_OverExistingKeys_NeedsForce_AndChangesNothingWithoutIt()
    {
        using var fx = new EngineFixture();
        using var source = RedisServer.Start();
        using var redis = source.Connect();
        var db = redis.GetDatabase(0);
        db.StringSet("k1", "original-1");
        db.StringSet("k2", "original-2", TimeSpan.FromHours(2));
        await fx.NewCollectionAsync("rc", targets: Target("cache", source.Endpoint, RedisBackupMode.Logical));
        var backup = await fx.BackupAsync("rc");
        db.StringSet("k1", "changed");
        db.KeyDelete("k2");

        var refused = await RestoreAsync(fx, backup.Id, null);
        Assert.Equal("RestoreWouldOverwrite", refused.Error?.ErrorId);
        Assert.Contains("k1", refused.Error!.Message);
        Assert.Contains("-Force", refused.Error.Message);
        Assert.Equal("changed", (string?)db.StringGet("k1"));
        Assert.False(db.KeyExists("k2")); // nothing restored, not even the keys without conflict

        var result = Ok(await RestoreAsync(fx, backup.Id, null, force: true));
        Assert.Equal(2, result.ItemCount);
        Assert.Equal("original-1", (string?)db.StringGet("k1"));
        Assert.Equal("original-2", (string?)db.StringGet("k2"));
        var ttl = db.KeyTimeToLive("k2");
        Assert.True(ttl > TimeSpan.FromMinutes(119) && ttl <= TimeSpan.FromHours(2), $"TTL {ttl}");
    }

    [Fact]
    public async Task Restore_IntoAnExistingDataDirectoryFile_NeedsForce()
    {
        using var fx = new EngineFixture();
        using var source = RedisServer.Start();
        using (var redis = source.Connect()) redis.GetDatabase(0).StringSet("k", "v");
        await fx.NewCollectionAsync("rd", targets: Target("cache", source.Endpoint));
        var backup = await fx.BackupAsync("rd");
        var dataDir = fx.Temp.Combine("data");
        Directory.CreateDirectory(dataDir);
        File.WriteAllText(Path.Combine(dataDir, "dump.rdb"), "old");

        var refused = await RestoreAsync(fx, backup.Id, dataDir);
        Assert.Equal("RestoreWouldOverwrite", refused.Error?.ErrorId);
        Assert.Equal("old", File.ReadAllText(Path.Combine(dataDir, "dump.rdb")));
        var remap = await RestoreAsync(fx, backup.Id, dataDir, force: true, keyPrefix: "x:");
        Assert.Equal("RedisRemapNeedsServer", remap.Error?.ErrorId);

        Ok(await RestoreAsync(fx, backup.Id, dataDir, force: true));
        CheckRdb(Path.Combine(dataDir, "dump.rdb"));
        Assert.Equal(["dump.rdb"], Directory.GetFiles(dataDir).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Incremental_WarnsAndHoldsACompleteCopy()
    {
        using var fx = new EngineFixture();
        using var source = RedisServer.Start();
        using var redis = source.Connect();
        redis.GetDatabase(0).StringSet("first", "1");
        await fx.NewCollectionAsync("ri", targets: Target("cache", source.Endpoint));
        await fx.BackupAsync("ri");
        redis.GetDatabase(0).StringSet("second", "2");
        var run = await BackupAsync(fx, "ri", BackupType.Incremental);
        Assert.Empty(run.Failures);
        Assert.Equal(BackupType.Incremental, run.Backup.Type);
        Assert.Contains(run.Warnings, w => w.Contains("no incremental backup") && w.Contains("complete copy"));

        using var restored = RedisServer.Start();
        var result = Ok(await RestoreAsync(fx, run.Backup.Id, restored.Endpoint));
        Assert.Equal(2, result.ItemCount);
        using var dst = restored.Connect();
        Assert.Equal("1", (string?)dst.GetDatabase(0).StringGet("first"));
        Assert.Equal("2", (string?)dst.GetDatabase(0).StringGet("second"));
    }

    [Fact]
    public async Task Incremental_NeedsNoEarlierBackupOfTheRedisTarget()
    {
        using var fx = new EngineFixture();
        using var source = RedisServer.Start(null, "--requirepass", "pw");
        var tree = fx.Temp.Combine("tree");
        Directory.CreateDirectory(tree);
        File.WriteAllText(Path.Combine(tree, "a.txt"), "a");
        await fx.NewCollectionAsync("mixed", targets: [EngineFixture.Tree("files", tree), Target("cache", source.Endpoint)]);
        // The full backup cannot log in to Redis: it commits as Partial, with no copy of the cache.
        var full = await fx.Engine.InvokeBackupAsync(new BackupRequest("mixed") { Repository = fx.Repository });
        Assert.Equal("TargetAuthenticationFailed", Assert.Single(full.Failures).Error.ErrorId);

        var credentials = new Providers.TargetCredentials().Add("cache", new System.Net.NetworkCredential("", "pw"));
        var incremental = await fx.Engine.InvokeBackupAsync(new BackupRequest("mixed") { Repository = fx.Repository, Type = BackupType.Incremental, Credentials = credentials });
        Assert.Empty(incremental.Failures);
        Assert.Equal(BackupStatus.Complete, incremental.Backup.Status);
    }

    [Fact]
    public async Task ExpiredKeys_AreNotRestored()
    {
        using var fx = new EngineFixture();
        using var source = RedisServer.Start();
        using var redis = source.Connect();
        redis.GetDatabase(0).StringSet("short", "x", TimeSpan.FromMilliseconds(1500));
        redis.GetDatabase(0).StringSet("long", "y", TimeSpan.FromHours(1));
        await fx.NewCollectionAsync("re", targets: Target("cache", source.Endpoint, RedisBackupMode.Logical));
        var backup = await fx.BackupAsync("re");
        await Task.Delay(2000);
        using var restored = RedisServer.Start();
        var result = Ok(await RestoreAsync(fx, backup.Id, restored.Endpoint));
        Assert.Equal(1, result.ItemCount);
        using var dst = restored.Connect();
        Assert.False(dst.GetDatabase(0).KeyExists("short"));
        Assert.True(dst.GetDatabase(0).KeyExists("long"));
    }

    [Theory]
    [InlineData(RedisBackupMode.Snapshot)]
    [InlineData(RedisBackupMode.Logical)]
    public async Task Cancelling_StopsTheBackup_AndCommitsNothing(RedisBackupMode mode)
    {
        using var fx = new EngineFixture();
        using var source = RedisServer.Start();
        using (var redis = source.Connect())
        {
            var db = redis.GetDatabase(0);
            var value = new string('v', 2000);
            await Task.WhenAll(Enumerable.Range(0, 100_000).Select(i => (Task)db.StringSetAsync($"k{i}", value + i)));
        }
        await fx.NewCollectionAsync("rcancel", targets: Target("cache", source.Endpoint, mode));
        var progressed = new TaskCompletionSource();
        using var cancel = new CancellationTokenSource();
        var progress = new Progress<BackupProgress>(p => { if (p.BytesDone > 0) progressed.TrySetResult(); });
        var backup = fx.Engine.InvokeBackupAsync(new BackupRequest("rcancel") { Repository = fx.Repository }, progress, cancel.Token);
        await Task.WhenAny(progressed.Task, backup);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => backup);

        Assert.Empty(await fx.Engine.GetBackupsAsync(new BackupQuery { Repository = fx.Repository, Collection = "rcancel" }));
        using var after = source.Connect(); // the server carries on
        Assert.Equal(100_000, after.GetServer(after.GetEndPoints()[0]).DatabaseSize(0));
        Assert.Empty((await RedisTestSupport.BackupAsync(fx, "rcancel")).Failures); // and the next backup works
    }
}
