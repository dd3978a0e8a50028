using PsBackup.Engine.Operations;
using PsBackup.Engine.Providers;
using PsBackup.Engine.Providers.PostgreSql.Cluster;
using PsBackup.Engine.Repository;
using PsBackup.Engine.Storage;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.PostgreSqlCluster;

/// <summary>
/// A primary cluster whose archive_command fills a collection of the fixture's local repository
/// (and copies, when given), a table t(id) with one row per transaction, and restores from any
/// repository into started clusters whose rows are read back.
/// </summary>
internal sealed class ClusterScenario : IDisposable
{
    private readonly List<ThrowawayCluster> _clusters = [];

    private ClusterScenario(EngineFixture fx, string collection, ThrowawayCluster primary)
    {
        Fx = fx;
        Collection = collection;
        Primary = primary;
        _clusters.Add(primary);
    }

    public EngineFixture Fx { get; }
    public string Collection { get; }
    public ThrowawayCluster Primary { get; }

    public static async Task<ClusterScenario> StartAsync(EngineFixture fx, string collection, int walSegmentMegabytes = 16, params string[] copies)
    {
        var primary = await ThrowawayCluster.CreateAsync(fx.Temp.Combine("primary-" + collection), ThrowawayCluster.ArchiveCommand(fx.Repository, collection, copies), walSegmentMegabytes);
        var scenario = new ClusterScenario(fx, collection, primary);
        try
        {
            await fx.NewCollectionAsync(collection, targets: primary.Target("pg"));
            ThrowawayCluster.ShareWithPostgres(fx.Repository);
            foreach (var copy in copies) ThrowawayCluster.ShareWithPostgres(copy);
            await primary.ExecuteAsync("CREATE TABLE t (id int PRIMARY KEY)");
            return scenario;
        }
        catch
        {
            scenario.Dispose();
            throw;
        }
    }

    /// <summary>One row per transaction; the server's clock right after the commit.</summary>
    public async Task<DateTime> InsertAsync(int id)
    {
        await Primary.ExecuteAsync($"INSERT INTO t VALUES ({id})");
        var after = await Primary.NowAsync();
        await Task.Delay(20);
        return after;
    }

    /// <summary>A commit that changes no row (an assigned transaction id), so recovery can stop after the point before it.</summary>
    public Task CommitAsync() => Primary.ExecuteAsync("SELECT txid_current()");

    public async Task<RestoreOutcome> RestoreAsync(RepositoryAddress repository, string id, string destination, RecoveryTarget? recovery)
    {
        var outcomes = new List<RestoreOutcome>();
        await foreach (var outcome in Fx.Engine.RestoreAsync(new RestoreRequest(id) { Repository = repository, Destination = destination, Recovery = recovery }))
            outcomes.Add(outcome);
        return Assert.Single(outcomes);
    }

    /// <summary>Restores, starts the cluster until it has recovered and promoted, and returns t's ids.</summary>
    public async Task<List<int>> RestoreAndReadAsync(RepositoryAddress repository, string id, string name, RecoveryTarget? recovery)
    {
        var destination = Fx.Temp.Combine(name);
        var outcome = await RestoreAsync(repository, id, destination, recovery);
        Assert.True(outcome.Error == null, $"restore of {id} ({recovery}) failed: {outcome.Error?.ErrorId}: {outcome.Error?.Message}");
        var restored = await ThrowawayCluster.StartRestoredAsync(destination);
        _clusters.Add(restored);
        try
        {
            Assert.False(await restored.ScalarAsync<bool>("SELECT pg_is_in_recovery()"));
            return await restored.IdsAsync("t");
        }
        finally
        {
            restored.Stop();
            Directory.Delete(destination, recursive: true);
        }
    }

    public async Task<RecoveryWindow> WindowAsync(RepositoryAddress? repository = null) =>
        Assert.Single(await Fx.Engine.GetRecoveryWindowsAsync(new RecoveryWindowQuery { Repository = repository ?? Fx.Repository, Collection = Collection }));

    /// <summary>The cluster state a backup's manifest records.</summary>
    public async Task<ClusterBackupState> StateAsync(string id, string? repository = null)
    {
        using var opened = await BackupRepository.OpenAsync(new LocalObjectStore(repository ?? Fx.Repository), create: false, default);
        var manifest = await opened.ReadManifestAsync(Collection, id, default);
        return ClusterBackupState.From(manifest.Targets.Single());
    }

    /// <summary>The committed WAL files of the collection in a local repository.</summary>
    public SortedSet<string> ArchivedNames(string? repository = null) =>
        new(Directory.EnumerateFiles(WalFolder(repository), "*.json", SearchOption.AllDirectories)
            .Select(Path.GetFileName).Select(f => f![..^5]).Where(WalFileName.IsValid), StringComparer.Ordinal);

    public string WalFolder(string? repository = null) => Path.Combine(repository ?? Fx.Repository, "collections", Collection, "wal");

    public async Task<List<ArtifactVerification>> VerifyAsync(string id, RepositoryAddress? repository = null)
    {
        var findings = new List<ArtifactVerification>();
        await foreach (var finding in Fx.Engine.TestBackupAsync(new VerifyRequest(id) { Repository = repository ?? Fx.Repository }))
            findings.Add(finding);
        return findings;
    }

    public void Dispose()
    {
        foreach (var cluster in _clusters) cluster.Dispose();
    }
}
