using PsBackup.Engine.Tests.Support;
using static PsBackup.Engine.Tests.Redis.RedisTestSupport;

namespace PsBackup.Engine.Tests.Redis;

/// <summary>Round trips of every type and encoding, snapshot and logical, remote and through a data directory, on redis-servers of the tests' own.</summary>
public class RedisRoundTripTests
{
    [Fact]
    public async Task Logical_EveryTypeAndBigValue_RestoresRemotelyWithTtls()
    {
        using var fx = new EngineFixture();
        using var source = RedisServer.Start();
        using var destination = RedisServer.Start();
        using (var redis = source.Connect())
        {
            RedisData.FillEveryType(redis.GetDatabase(0), "a:", bigValue: true);
            RedisData.FillEveryType(redis.GetDatabase(5), "b:");
        }
        await fx.NewCollectionAsync("rl", targets: Target("cache", source.Endpoint, RedisBackupMode.Logical));
        var backup = await fx.BackupAsync("rl");

        var result = Ok(await RestoreAsync(fx, backup.Id, destination.Endpoint));
        Assert.Equal($"redis://{destination.Endpoint}", result.Destination);

        using var src = source.Connect();
        using var dst = destination.Connect();
        var expected0 = RedisData.Read(src, 0);
        Assert.Contains(expected0.Values, k => k.Dump.Length > 10 << 20);
        Assert.Contains(expected0.Values, k => k.Type == "stream");
        Assert.Equal(expected0.Count + RedisData.Read(src, 5).Count, result.ItemCount);
        RedisData.AssertSame(expected0, RedisData.Read(dst, 0));
        RedisData.AssertSame(RedisData.Read(src, 5), RedisData.Read(dst, 5));
    }

    [Fact]
    public async Task Snapshot_EveryType_RestoresRemotelyAndIntoADataDirectoryThatRedisLoads()
    {
        using var fx = new EngineFixture();
        using var source = RedisServer.Start();
        using (var redis = source.Connect())
        {
            RedisData.FillEveryType(redis.GetDatabase(0), "s:", bigValue: true);
            RedisData.FillEveryType(redis.GetDatabase(3), "t:");
        }
        await fx.NewCollectionAsync("rs", targets: Target("cache", source.Endpoint));
        var backup = await fx.BackupAsync("rs");

        using var src = source.Connect();
        var expected0 = RedisData.Read(src, 0);
        var expected3 = RedisData.Read(src, 3);

        // Remotely, key by key, into a running server.
        using (var destination = RedisServer.Start())
        {
            Ok(await RestoreAsync(fx, backup.Id, destination.Endpoint));
            using var dst = destination.Connect();
            RedisData.AssertSame(expected0, RedisData.Read(dst, 0));
            RedisData.AssertSame(expected3, RedisData.Read(dst, 3));
        }

        // As dump.rdb into a data directory, then loaded by redis-server.
        var dataDir = fx.Temp.Combine("data");
        var result = Ok(await RestoreAsync(fx, backup.Id, dataDir));
        Assert.Equal(Path.Combine(dataDir, "dump.rdb"), result.Destination);
        CheckRdb(result.Destination);
        using (var loaded = RedisServer.Start(dataDir))
        {
            using var dst = loaded.Connect();
            RedisData.AssertSame(expected0, RedisData.Read(dst, 0));
            RedisData.AssertSame(expected3, RedisData.Read(dst, 3));
        }
    }

    [Fact]
    public async Task Logical_BackupIsAnRdbFileThatRedisChecksAndLoads()
    {
        using var fx = new EngineFixture();
        using var source = RedisServer.Start();
        using (var redis = source.Connect())
            RedisData.FillEveryType(redis.GetDatabase(2), "x:");
        await fx.NewCollectionAsync("rf", targets: Target("cache", source.Endpoint, RedisBackupMode.Logical, databases: [2]));
        var backup = await fx.BackupAsync("rf");

        var dataDir = fx.Temp.Combine("data");
        var file = Ok(await RestoreAsync(fx, backup.Id, dataDir)).Destination;
        CheckRdb(file);
        using var loaded = RedisServer.Start(dataDir);
        using var src = source.Connect();
        using var dst = loaded.Connect();
        RedisData.AssertSame(RedisData.Read(src, 2), RedisData.Read(dst, 2));
    }

    [Fact]
    public async Task Logical_HundredThousandKeys_PatternPrefixAndDatabaseMap_OnTheSharedPeers()
    {
        using var fx = new EngineFixture();
        var tag = $"psb6-{Guid.NewGuid():N}"[..14];
        const int db = 9;
        using var peer = Peers.TestPeers.ConnectRedis();
        using var peer2 = Peers.TestPeers.ConnectRedis(Peers.TestPeers.Redis2);
        try
        {
            RedisData.FillMany(peer.GetDatabase(db), $"{tag}:", 100_000);
            peer.GetDatabase(db).StringSet($"other-{tag}", "not selected");
            await fx.NewCollectionAsync("r100k", targets: Target("cache", Peers.TestPeers.Redis, RedisBackupMode.Logical, databases: [db], patterns: [$"{tag}:*"]));
            var run = await BackupAsync(fx, "r100k");
            Assert.Empty(run.Failures);

            var result = Ok(await RestoreAsync(fx, run.Backup.Id, Peers.TestPeers.Redis2, keyPrefix: "restored:", databaseMap: new() { [db] = 10 }));
            Assert.Equal(100_000, result.ItemCount);
            var expected = RedisData.Read(peer, db, $"{tag}:*");
            Assert.Equal(100_000, expected.Count);
            RedisData.AssertSame(expected, RedisData.Read(peer2, 10, $"restored:{tag}:*"), keyPrefixAdded: "restored:");
            Assert.False(peer2.GetDatabase(10).KeyExists($"restored:other-{tag}"));
        }
        finally
        {
            foreach (var (conn, database, pattern) in new[] { (peer, db, $"*{tag}*"), (peer2, 10, $"restored:{tag}*") })
            {
                var server = conn.GetServer(conn.GetEndPoints()[0]);
                foreach (var chunk in server.Keys(database, pattern, pageSize: 5000).Chunk(5000))
                    conn.GetDatabase(database).KeyDelete(chunk);
            }
        }
    }
}
