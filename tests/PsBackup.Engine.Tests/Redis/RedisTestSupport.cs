using System.Diagnostics;
using System.Net;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Providers;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Redis;

/// <summary>Shortcuts for Redis backups and restores through the engine's front door.</summary>
internal static class RedisTestSupport
{
    public static RedisTarget Target(string name, string endpoint, RedisBackupMode mode = RedisBackupMode.Snapshot,
        int[]? databases = null, string[]? patterns = null, string? user = null) =>
        new() { Name = name, Endpoints = [endpoint], Mode = mode, Databases = databases ?? [], KeyPatterns = patterns ?? [], UserName = user };

    public static async Task<BackupRunResult> BackupAsync(EngineFixture fx, string collection, BackupType type = BackupType.Full, NetworkCredential? credential = null) =>
        await fx.Engine.InvokeBackupAsync(new BackupRequest(collection)
        {
            Repository = fx.Repository,
            Type = type,
            Credentials = new TargetCredentials { Default = credential },
        });

    /// <summary>A backup of a one-target collection whose target fails: the engine throws that target's error.</summary>
    public static Task<Errors.PsBackupException> BackupFailsAsync(EngineFixture fx, string collection, NetworkCredential? credential = null) =>
        Assert.ThrowsAnyAsync<Errors.PsBackupException>(() => BackupAsync(fx, collection, credential: credential));

    public static async Task<RestoreOutcome> RestoreAsync(EngineFixture fx, string id, string? destination, bool force = false,
        string? keyPrefix = null, Dictionary<int, int>? databaseMap = null, NetworkCredential? credential = null)
    {
        var outcomes = new List<RestoreOutcome>();
        await foreach (var outcome in fx.Engine.RestoreAsync(new RestoreRequest(id)
                       {
                           Repository = fx.Repository, Destination = destination, Force = force, Options = [new Providers.Redis.RedisRestoreOptions { KeyPrefix = keyPrefix, DatabaseMap = databaseMap }],
                           Credentials = new TargetCredentials { Default = credential },
                       }))
            outcomes.Add(outcome);
        return Assert.Single(outcomes);
    }

    public static RestoreResult Ok(RestoreOutcome outcome)
    {
        Assert.True(outcome.Error == null, $"restore failed: {outcome.Error?.ErrorId}: {outcome.Error?.Message}");
        return outcome.Result!;
    }

    /// <summary>Runs redis-check-rdb on a file; returns its output, failing the test when it does not pass.</summary>
    public static string CheckRdb(string file)
    {
        var info = new ProcessStartInfo("redis-check-rdb", file) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0 && output.Contains("RDB looks OK"), $"redis-check-rdb {file} failed: {output}");
        return output;
    }
}
