using System.Net;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Providers;
using PsBackup.Engine.Tests.Drills;
using PsBackup.Engine.Tests.Redis;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Dr;

/// <summary>
/// Test-DrEnvironment against a Redis primary and replica of the test's own, a primary repository
/// and a DR copy made with Copy-Backup, and a passed restore drill: a healthy setup is all Pass;
/// then one fault at a time gives exactly the expected Fail. (The archived-log and standby checks
/// of PostgreSQL clusters: <see cref="ClusterDrTests"/>.)
/// </summary>
[Collection(DrillCollection.Name)]
public sealed class DrEnvironmentTests : IDisposable
{
    private readonly EngineFixture _fx = new();
    private readonly RedisServer _primary = RedisServer.Start();
    private readonly RedisServer _replica;
    private readonly string _dr;

    public DrEnvironmentTests()
    {
        _replica = RedisServer.Start(null, "--replicaof", "127.0.0.1", _primary.Port.ToString());
        _dr = _fx.Temp.Combine("dr");
    }

    public void Dispose()
    {
        _replica.Dispose();
        _primary.Dispose();
        _fx.Dispose();
    }

    /// <summary>A collection "shop" whose Redis target names the replica first (roles come from ROLE), backed up, copied to the DR repository and drilled.</summary>
    private async Task HealthyAsync()
    {
        using (var redis = _primary.Connect())
            for (var i = 0; i < 50; i++) redis.GetDatabase().StringSet($"k{i}", $"v{i}");
        await RedisReplicas.CaughtUpAsync(_primary, _replica);
        await _fx.NewCollectionAsync("shop", targets: new RedisTarget { Name = "cache", Endpoints = [_replica.Endpoint, _primary.Endpoint] });
        await _fx.BackupAsync("shop");
        await foreach (var copy in _fx.Engine.CopyBackupAsync(new CopyRequest("shop", _dr) { Source = _fx.Repository }))
            Assert.Null(copy.Error);
        var drill = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("shop")));
        Assert.Equal(DrillStatus.Passed, drill.Result.Status);
    }

    private Task<List<DrCheck>> CheckAsync(Func<DrEnvironmentRequest, DrEnvironmentRequest>? change = null)
    {
        var request = new DrEnvironmentRequest { Repository = _fx.Repository, DrRepository = _dr, Collections = ["shop"], Rto = TimeSpan.FromMinutes(5) };
        return _fx.Engine.TestDrEnvironmentAsync(change == null ? request : change(request));
    }

    private static DrCheck Only(List<DrCheck> checks, DrCheckStatus status)
    {
        var found = checks.Where(c => c.Status == status).ToList();
        Assert.True(found.Count == 1, $"expected one {status}, got:\n{string.Join("\n", checks)}");
        return found[0];
    }

    [Fact]
    public async Task A_healthy_setup_passes_every_check_and_names_each_one()
    {
        await HealthyAsync();
        var checks = await CheckAsync();
        Assert.True(checks.All(c => c.Status == DrCheckStatus.Pass), string.Join("\n", checks.Where(c => c.Status != DrCheckStatus.Pass)));
        var names = checks.Select(c => c.Check).ToHashSet();
        foreach (var expected in new[] { "RepositoryReachable", "CollectionPresent", "LockNotStale", "LatestBackupAge", "DrCopyLag", "LastDrill", "DrillRto", "TargetReachable", "Replica" })
            Assert.Contains(expected, names);
        Assert.Equal(2, checks.Count(c => c.Check == "RepositoryReachable"));
        Assert.Equal(2, checks.Count(c => c.Check == "LatestBackupAge"));
        var replica = Assert.Single(checks, c => c.Check == "Replica");
        Assert.Equal($"cache@{_replica.Endpoint}", replica.Target);
        Assert.Contains("link up", replica.Observed);
        Assert.Contains("0 bytes behind", replica.Observed);
    }

    [Fact]
    public async Task A_stale_backup_fails_the_backup_age_in_both_repositories()
    {
        await HealthyAsync();
        await Task.Delay(1100);
        var checks = await CheckAsync(r => r with { MaxBackupAge = TimeSpan.FromSeconds(1) });
        var failed = checks.Where(c => c.Status == DrCheckStatus.Fail).ToList();
        Assert.Equal(2, failed.Count);
        Assert.All(failed, c => Assert.Equal("LatestBackupAge", c.Check));
        Assert.All(failed, c => Assert.Contains("older than -MaxBackupAge 00:00:01", c.Message));
        Assert.Equal(new[] { _fx.Repository, _dr }.Order(), failed.Select(c => c.Repository).Order());
    }

    [Fact]
    public async Task A_dr_copy_without_the_collection_fails_collection_present()
    {
        await HealthyAsync();
        var empty = _fx.Temp.Combine("other-dr");
        await _fx.Engine.NewCollectionAsync(new NewCollectionRequest("unrelated", [EngineFixture.Tree("t", _fx.Temp.Path)]) { Repository = empty });
        var fail = Only(await CheckAsync(r => r with { DrRepository = empty }), DrCheckStatus.Fail);
        Assert.Equal("CollectionPresent", fail.Check);
        Assert.Equal("absent", fail.Observed);
        Assert.Contains("missing from the DR copy", fail.Message);
        Assert.Contains("Copy-Backup", fail.Message);
    }

    [Fact]
    public async Task A_dr_copy_behind_the_primary_fails_the_copy_lag()
    {
        await HealthyAsync();
        await Task.Delay(1100);
        var newer = await _fx.BackupAsync("shop");
        var checks = await CheckAsync(r => r with { MaxBackupAge = TimeSpan.FromSeconds(1) });
        var lag = Assert.Single(checks, c => c.Check == "DrCopyLag");
        Assert.Equal(DrCheckStatus.Fail, lag.Status);
        Assert.Contains("1 backup(s) behind", lag.Message);
        Assert.DoesNotContain(newer.Id, lag.Message); // it names what the copy has, and says what to run
        Assert.Contains("Copy-Backup", lag.Message);
    }

    [Fact]
    public async Task A_drill_older_than_MaxDrillAge_fails_last_drill()
    {
        await HealthyAsync();
        await Task.Delay(1100);
        var fail = Only(await CheckAsync(r => r with { MaxDrillAge = TimeSpan.FromSeconds(1) }), DrCheckStatus.Fail);
        Assert.Equal("LastDrill", fail.Check);
        Assert.StartsWith("Passed ", fail.Observed);
        Assert.Contains("older than -MaxDrillAge 00:00:01", fail.Message);
    }

    [Fact]
    public async Task A_drill_slower_than_the_rto_fails_drill_rto()
    {
        await HealthyAsync();
        var fail = Only(await CheckAsync(r => r with { Rto = TimeSpan.FromTicks(1) }), DrCheckStatus.Fail);
        Assert.Equal("DrillRto", fail.Check);
        Assert.Equal("cache", fail.Target);
        Assert.Contains("over -Rto", fail.Message);
    }

    [Fact]
    public async Task A_collection_never_drilled_fails_last_drill()
    {
        await _fx.NewCollectionAsync("shop", targets: new RedisTarget { Name = "cache", Endpoints = [_primary.Endpoint] });
        await _fx.BackupAsync("shop");
        var fail = Only(await CheckAsync(r => r with { DrRepository = null, Rto = null }), DrCheckStatus.Fail);
        Assert.Equal("LastDrill", fail.Check);
        Assert.Equal("never drilled", fail.Observed);
    }

    [Fact]
    public async Task A_stopped_replica_fails_the_replica_check()
    {
        await HealthyAsync();
        _replica.Dispose();
        var fail = Only(await CheckAsync(), DrCheckStatus.Fail);
        Assert.Equal("Replica", fail.Check);
        Assert.Equal($"cache@{_replica.Endpoint}", fail.Target);
        Assert.Equal("unreachable", fail.Observed);
        Assert.Contains("does not answer", fail.Message);
    }

    [Fact]
    public async Task A_replica_whose_link_is_down_fails_the_replica_check()
    {
        await HealthyAsync();
        _primary.Dispose();
        var checks = await CheckAsync();
        var replica = Assert.Single(checks, c => c.Check == "Replica" && c.Target == $"cache@{_replica.Endpoint}");
        Assert.Equal(DrCheckStatus.Fail, replica.Status);
        Assert.Contains("link down", replica.Observed);
        Assert.Contains("link DOWN", replica.Message);
    }

    [Fact]
    public async Task A_wrong_password_fails_target_reachable_as_a_refused_login_and_an_unreachable_server_as_unreachable()
    {
        using var secured = RedisServer.Start(null, "--requirepass", "right-secret");
        await _fx.NewCollectionAsync("shop", targets: new RedisTarget { Name = "cache", Endpoints = [secured.Endpoint] });
        var checks = await CheckAsync(r => r with
        {
            DrRepository = null, Rto = null,
            Credentials = new TargetCredentials { Default = new NetworkCredential("", "wrong-secret") },
        });
        var reach = Assert.Single(checks, c => c.Check == "TargetReachable");
        Assert.Equal(DrCheckStatus.Fail, reach.Status);
        Assert.Equal("login refused", reach.Observed);
        Assert.Contains("refuses the login", reach.Message);
        Assert.DoesNotContain(checks, c => c.Message.Contains("wrong-secret") || c.Observed.Contains("wrong-secret"));

        secured.Dispose();
        var gone = Assert.Single(await CheckAsync(r => r with { DrRepository = null, Rto = null }), c => c.Check == "TargetReachable");
        Assert.Equal(DrCheckStatus.Fail, gone.Status);
        Assert.Equal("unreachable", gone.Observed);
    }

    [Fact]
    public async Task An_unreadable_repository_is_one_fail_not_an_exception()
    {
        var checks = await _fx.Engine.TestDrEnvironmentAsync(new DrEnvironmentRequest { Repository = _fx.Temp.Combine("nowhere") });
        var fail = Assert.Single(checks);
        Assert.Equal("RepositoryReachable", fail.Check);
        Assert.Equal(DrCheckStatus.Fail, fail.Status);
    }
}
