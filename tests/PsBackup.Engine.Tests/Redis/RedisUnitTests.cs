using System.Text;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Providers.Redis;
using PsBackup.Engine.Tests.Support;
using static PsBackup.Engine.Tests.Redis.RedisTestSupport;

namespace PsBackup.Engine.Tests.Redis;

/// <summary>Pure logic of the Redis provider: checksums, globs, addresses, targets, and corrupt RDB files.</summary>
public class RedisUnitTests
{
    [Fact]
    public void Crc64_MatchesRedisCheckValue()
    {
        // redis' crc64.c self-test: crc64(0, "123456789") == 0xe9c6d914c4b8d9ca
        Assert.Equal(0xe9c6d914c4b8d9caUL, Crc64.Update(0, "123456789"u8));
        var data = Enumerable.Range(0, 1000).Select(i => (byte)(i * 31)).ToArray();
        Assert.Equal(Crc64.Update(0, data), Crc64.Update(Crc64.Update(0, data.AsSpan(0, 333)), data.AsSpan(333)));
    }

    [Theory]
    [InlineData("user:*", "user:1", true)]
    [InlineData("user:*", "users", false)]
    [InlineData("user:?", "user:12", false)]
    [InlineData("user:[0-9]", "user:7", true)]
    [InlineData("user:[^0-9]", "user:7", false)]
    [InlineData("user:[^0-9]", "user:x", true)]
    [InlineData("a\\*b", "a*b", true)]
    [InlineData("a\\*b", "axb", false)]
    [InlineData("*", "", true)]
    [InlineData("h[ae]llo", "hello", true)]
    [InlineData("h[ae]llo", "hillo", false)]
    public void Glob_MatchesLikeRedis(string pattern, string key, bool expected) =>
        Assert.Equal(expected, RedisGlob.IsMatch(Encoding.UTF8.GetBytes(pattern), Encoding.UTF8.GetBytes(key)));

    [Theory]
    [InlineData("cache:6380", "cache", 6380)]
    [InlineData("cache", "cache", 6379)]
    [InlineData("[::1]:7000", "::1", 7000)]
    [InlineData("redis://10.0.0.5:6400", "10.0.0.5", 6400)]
    [InlineData("rediss://cache.example.com", "cache.example.com", 6379)]
    public void Endpoint_Parses(string text, string host, int port)
    {
        var endpoint = RedisEndpoint.Parse(text, out var tls);
        Assert.Equal((host, port), (endpoint.Host, endpoint.Port));
        Assert.Equal(text.StartsWith("rediss"), tls);
        Assert.True(RedisEndpoint.LooksLikeAddress(text));
    }

    [Theory]
    [InlineData("/var/lib/redis")]
    [InlineData("restore/here")]
    [InlineData("C:\\data")]
    public void Directories_AreNotAddresses(string text) => Assert.False(RedisEndpoint.LooksLikeAddress(text));

    [Fact]
    public void TargetFactory_ChoosesTheModeAndRefusesSnapshotsOfSomeKeys()
    {
        Assert.Equal(RedisBackupMode.Snapshot, Providers.Redis.RedisTargets.Create(["cache:6379"], null, null, false, null, null, null).Mode);
        var logical = Providers.Redis.RedisTargets.Create(["cache:6379", "replica:6379"], null, "backup", false, null, [3, 1, 3], ["user:*"]);
        Assert.Equal((RedisBackupMode.Logical, "redis-cache-6379"), (logical.Mode, logical.Name));
        Assert.Equal([1, 3], logical.Databases);
        Assert.Equal("cache:6379,replica:6379", logical.Location);
        Assert.True(Providers.Redis.RedisTargets.Create(["rediss://cache:6380"], "c", null, false, null, null, null).UseTls);
        Assert.Equal("RedisSnapshotIsWholeServer",
            Assert.Throws<InvalidBackupRequestException>(() => Providers.Redis.RedisTargets.Create(["c"], null, null, false, RedisBackupMode.Snapshot, [1], null)).ErrorId);
        Assert.Equal("InvalidRedisEndpoint",
            Assert.Throws<InvalidBackupRequestException>(() => Providers.Redis.RedisTargets.Create(["host:notaport"], null, null, false, null, null, null)).ErrorId);
        Assert.Equal("InvalidRedisDatabase",
            Assert.Throws<InvalidBackupRequestException>(() => Providers.Redis.RedisTargets.Create(["c"], null, null, false, null, [-1], null)).ErrorId);
    }

    [Fact]
    public async Task RdbReader_RefusesCorruptAndTruncatedFiles_FromARealServer()
    {
        using var temp = new TempDirectory("rdb");
        using var server = RedisServer.Start();
        using (var redis = server.Connect()) RedisData.FillEveryType(redis.GetDatabase(0), "c:");
        using var fx = new EngineFixture();
        await fx.NewCollectionAsync("rdb", targets: Target("cache", server.Endpoint));
        var backup = await fx.BackupAsync("rdb");
        var file = Ok(await RestoreAsync(fx, backup.Id, temp.Combine("d"))).Destination;
        var bytes = await File.ReadAllBytesAsync(file);

        var keys = new RdbReader(new MemoryStream(bytes), "test", keepValues: true).Entries().Select(e => Encoding.UTF8.GetString(e.Key)).ToList();
        Assert.Contains("c:stream", keys);
        Assert.Equal(keys.Count, keys.Distinct().Count());

        var flipped = (byte[])bytes.Clone();
        flipped[bytes.Length / 2] ^= 0x40;
        var corrupt = Assert.ThrowsAny<PsBackupException>(() => new RdbReader(new MemoryStream(flipped), "test", false).Entries().Count());
        Assert.Equal("ArtifactCorrupt", corrupt.ErrorId);
        var truncated = Assert.Throws<IntegrityException>(() => new RdbReader(new MemoryStream(bytes[..^20]), "test", false).Entries().Count());
        Assert.Contains("truncated", truncated.Message);

        var check = new RdbStreamCheck("test");
        foreach (var chunk in flipped.Chunk(7)) check.Append(chunk);
        Assert.Throws<IntegrityException>(check.Complete);
        check = new RdbStreamCheck("test");
        foreach (var chunk in bytes.Chunk(5)) check.Append(chunk);
        check.Complete();
    }
}
