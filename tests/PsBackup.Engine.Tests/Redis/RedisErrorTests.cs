using System.Net;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Tests.Support;
using static PsBackup.Engine.Tests.Redis.RedisTestSupport;

namespace PsBackup.Engine.Tests.Redis;

/// <summary>Logins (password, ACL user, REDISCLI_AUTH) and unreachable servers. One class: REDISCLI_AUTH is process-wide.</summary>
public class RedisErrorTests
{
    [Fact]
    public async Task Password_WrongMissingAndRight()
    {
        using var fx = new EngineFixture();
        using var server = RedisServer.Start(null, "--requirepass", "s3cret");
        using (var redis = server.Connect("s3cret")) redis.GetDatabase(0).StringSet("k", "v");
        await fx.NewCollectionAsync("ra", targets: Target("cache", server.Endpoint));

        var wrong = await BackupFailsAsync(fx, "ra", new NetworkCredential("default", "nope"));
        Assert.Equal("TargetAuthenticationFailed", wrong.ErrorId);
        Assert.Contains("-Credential", wrong.Message);
        Assert.Contains(server.Endpoint, wrong.Message);

        var missing = await BackupFailsAsync(fx, "ra");
        Assert.Equal("TargetAuthenticationFailed", missing.ErrorId);
        Assert.Contains("NOAUTH", missing.Message);

        var right = await BackupAsync(fx, "ra", credential: new NetworkCredential("default", "s3cret"));
        Assert.Empty(right.Failures);

        // REDISCLI_AUTH is the default password, as for redis-cli.
        Environment.SetEnvironmentVariable("REDISCLI_AUTH", "s3cret");
        try
        {
            Assert.Empty((await BackupAsync(fx, "ra")).Failures);
            using var restored = RedisServer.Start();
            var result = Ok(await RestoreAsync(fx, right.Backup.Id, restored.Endpoint)); // a server without a password accepts it too
            Assert.Equal(1, result.ItemCount);
        }
        finally
        {
            Environment.SetEnvironmentVariable("REDISCLI_AUTH", null);
        }
    }

    [Fact]
    public async Task AclUser_LogsInWithItsPassword_AndIsRefusedWithAnother()
    {
        using var fx = new EngineFixture();
        using var server = RedisServer.Start();
        using (var redis = server.Connect())
        {
            redis.GetDatabase(0).Execute("ACL", "SETUSER", "backup", "on", ">pw1", "~*", "&*", "+@all");
            redis.GetDatabase(0).StringSet("k", "v");
        }
        await fx.NewCollectionAsync("racl", targets: Target("cache", server.Endpoint, RedisBackupMode.Logical, user: "backup"));
        var wrong = await BackupFailsAsync(fx, "racl", new NetworkCredential("", "pw2"));
        Assert.Equal("TargetAuthenticationFailed", wrong.ErrorId);
        var right = await BackupAsync(fx, "racl", credential: new NetworkCredential("", "pw1"));
        Assert.Empty(right.Failures);

        // A user without DUMP is told what is missing.
        using (var redis = server.Connect())
            redis.GetDatabase(0).Execute("ACL", "SETUSER", "reader", "on", ">pw3", "~*", "+@read", "-dump", "+info", "+select", "+time", "+ping", "+auth");
        var error = await BackupFailsAsync(fx, "racl", new NetworkCredential("reader", "pw3"));
        Assert.Equal("TargetAuthenticationFailed", error.ErrorId);
        Assert.Contains("dump", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task UnreachableServer_IsTargetUnavailable_ForBackupAndRestore()
    {
        using var fx = new EngineFixture();
        var port = RedisServer.FreePort();
        using var server = RedisServer.Start();
        using (var redis = server.Connect()) redis.GetDatabase(0).StringSet("k", "v");
        await fx.NewCollectionAsync("ru", targets: Target("cache", server.Endpoint, RedisBackupMode.Logical));
        var backup = await fx.BackupAsync("ru");

        await fx.NewCollectionAsync("ru2", targets: Target("cache", $"127.0.0.1:{port}"));
        var error = await BackupFailsAsync(fx, "ru2");
        Assert.Equal("TargetUnavailable", error.ErrorId);
        Assert.Contains($"127.0.0.1:{port}", error.Message);

        var restore = await RestoreAsync(fx, backup.Id, $"127.0.0.1:{port}");
        Assert.Equal("TargetUnavailable", restore.Error?.ErrorId);
        var bad = await RestoreAsync(fx, backup.Id, "redis://user:pw@127.0.0.1:1");
        Assert.Equal("PasswordInAddress", bad.Error?.ErrorId);
    }
}
