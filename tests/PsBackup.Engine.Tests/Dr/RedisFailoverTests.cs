using PsBackup.Engine.Errors;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Tests.Redis;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Dr;

/// <summary>Start-Failover of a Redis target: a primary and replica of the test's own, roles read with ROLE whatever the endpoint order.</summary>
public sealed class RedisFailoverTests : IDisposable
{
    private readonly EngineFixture _fx = new();
    private readonly RedisServer _primary = RedisServer.Start();
    private readonly RedisServer _replica;

    public RedisFailoverTests() => _replica = RedisServer.Start(null, "--replicaof", "127.0.0.1", _primary.Port.ToString());

    public void Dispose()
    {
        _replica.Dispose();
        _primary.Dispose();
        _fx.Dispose();
    }

    private async Task<BackupInfo> StartAsync()
    {
        using (var redis = _primary.Connect())
            for (var i = 0; i < 100; i++) redis.GetDatabase().StringSet($"k{i}", $"v{i}");
        await RedisReplicas.CaughtUpAsync(_primary, _replica);
        await _fx.NewCollectionAsync("cache", targets: new RedisTarget { Name = "r", Endpoints = [_primary.Endpoint, _replica.Endpoint] });
        return await _fx.BackupAsync("cache");
    }

    [Fact]
    public async Task The_replica_is_promoted_writable_and_the_collection_points_at_it_with_a_new_full()
    {
        var before = await StartAsync();
        var steps = new List<FailoverStep>();
        var summary = await _fx.Engine.FailoverAsync(new FailoverRequest("cache") { Repository = _fx.Repository }, steps.Add);
        Assert.Equal(["Assess", "Promote", "Verify", "Repoint", "Backup"], steps.Select(s => s.Step));
        Assert.All(steps, s => Assert.Equal(FailoverStepStatus.Done, s.Status));
        Assert.Equal((_primary.Endpoint, _replica.Endpoint, 0L), (summary.OldPrimary, summary.NewPrimary, summary.EstimatedDataLossBytes!.Value));

        using (var redis = _replica.Connect())
        {
            var role = (StackExchange.Redis.RedisResult[])(await redis.GetServer(_replica.Endpoint).ExecuteAsync("ROLE"))!;
            Assert.Equal("master", (string)role[0]!);
            Assert.True(await redis.GetDatabase().StringSetAsync("after", "1"));
            Assert.Equal(101, (int)await redis.GetServer(_replica.Endpoint).DatabaseSizeAsync()); // the verify key left nothing
        }
        var target = Assert.IsType<RedisTarget>(Assert.Single(Assert.Single(await _fx.Engine.GetCollectionsAsync(_fx.Repository, "cache")).Targets));
        Assert.Equal([_replica.Endpoint], target.Endpoints);
        var backups = await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository, Collection = "cache" });
        Assert.Equal(new[] { before.Id, summary.NewBackupId }.Order(), backups.Select(b => b.Id).Order());
    }

    [Fact]
    public async Task A_replica_whose_primary_is_gone_has_an_unknown_loss_refused_without_Force_and_promoted_with_it()
    {
        await StartAsync();
        _primary.Dispose();
        var steps = new List<FailoverStep>();
        var request = new FailoverRequest("cache") { Repository = _fx.Repository, Backup = false };
        var refused = await Assert.ThrowsAsync<FailoverDataLossException>(() => _fx.Engine.FailoverAsync(request, steps.Add));
        Assert.Contains("an unknown amount", refused.Message);
        Assert.Equal(FailoverStepStatus.Refused, Assert.Single(steps).Status);

        var summary = await _fx.Engine.FailoverAsync(request with { Force = true }, _ => { });
        Assert.Null(summary.EstimatedDataLossBytes);
        Assert.False(summary.OldPrimaryReachable);
        Assert.Equal(_replica.Endpoint, summary.NewPrimary);
    }

    [Fact]
    public async Task Asking_for_a_server_that_is_not_a_replica_is_refused_before_anything_changes()
    {
        await StartAsync();
        var error = await Assert.ThrowsAsync<NoStandbyException>(() =>
            _fx.Engine.FailoverAsync(new FailoverRequest("cache") { Repository = _fx.Repository, Standby = _primary.Endpoint }, _ => { }));
        Assert.Equal("FailoverNoStandby", error.ErrorId);
        Assert.Contains("not a replica", error.Message);
    }
}
