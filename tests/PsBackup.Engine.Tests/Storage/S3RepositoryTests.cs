using PsBackup.Engine.Operations;
using PsBackup.Engine.Storage;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Storage;

/// <summary>The whole engine over an s3:// repository: chains, encryption, verification, locking.</summary>
public sealed class S3RepositoryTests : IDisposable
{
    private readonly TempDirectory _temp = new("s3repo");
    private readonly BackupEngine _engine = new(new EngineOptions { KdfIterations = 1000 });

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_file_tree_chain_through_S3_restores_exactly_at_every_point()
    {
        var repository = await S3Repository.NewAsync("prod/backups");
        var tree = new TreeBuilder(_temp.Combine("src"));
        for (var i = 0; i < 24; i++) tree.RandomFile($"d{i % 3}/f{i}.bin", 1_000_000, i, compressible: i % 2 == 0);
        tree.File("a.txt", "alpha").Symlink("link", "a.txt").Directory("empty").TouchDirectories();
        await _engine.NewCollectionAsync(new NewCollectionRequest("s3chain", [EngineFixture.Tree("src", tree.Root)])
            { Repository = repository, IncrementalBackupEnabled = true, Passphrase = "s3 secret" });

        var points = new List<(BackupInfo Backup, SortedDictionary<string, TreeItem> Snapshot)>();
        for (var i = 0; i < 3; i++)
        {
            if (i == 1) tree.File("a.txt", "alpha changed").Delete("d1/f1.bin").RandomFile("new.bin", 300_000, 77).TouchDirectories();
            if (i == 2) tree.Chmod("a.txt", (UnixFileMode)384).Move("new.bin", "renamed.bin").TouchDirectories();
            var result = await _engine.InvokeBackupAsync(new BackupRequest("s3chain")
                { Repository = repository, Type = i == 0 ? BackupType.Full : BackupType.Incremental, Passphrase = "s3 secret" });
            Assert.Empty(result.Failures);
            points.Add((result.Backup, TreeSnapshot.Take(tree.Root)));
        }

        var listed = await _engine.GetBackupsAsync(new BackupQuery { Repository = repository, Collection = "s3chain" });
        Assert.Equal(points.Select(p => p.Backup.Id), listed.Select(b => b.Id));
        Assert.StartsWith("s3://", listed[0].Repository);
        foreach (var (backup, snapshot) in points)
        {
            var destination = _temp.Combine("r-" + backup.Id);
            await foreach (var outcome in _engine.RestoreAsync(new RestoreRequest(backup.Id) { Repository = repository, Destination = destination, Passphrase = "s3 secret" }))
                Assert.Null(outcome.Error);
            TreeSnapshot.AssertEqual(snapshot, TreeSnapshot.Take(destination));
        }
        await foreach (var finding in _engine.TestBackupAsync(new VerifyRequest(points[^1].Backup.Id) { Repository = repository, Passphrase = "s3 secret" }))
            Assert.Equal(VerificationStatus.Ok, finding.Status);
    }

    [Fact]
    public async Task S3_settings_passed_with_the_request_are_used_and_wrong_credentials_are_refused()
    {
        var location = await S3Repository.NewAsync();
        var tree = new TreeBuilder(_temp.Combine("src")).File("a", "a");
        var explicitSettings = S3Repository.Options() with { Endpoint = Peers.TestPeers.S3Endpoint };
        var address = new RepositoryAddress(location, explicitSettings);
        await _engine.NewCollectionAsync(new NewCollectionRequest("explicit", [EngineFixture.Tree("src", tree.Root)]) { Repository = address });
        var result = await _engine.InvokeBackupAsync(new BackupRequest("explicit") { Repository = address });
        Assert.Empty(result.Failures);

        // Settings in the request override the environment's (whose credentials are right).
        var wrong = new RepositoryAddress(location, explicitSettings with { AccessKey = "WRONG", SecretKey = "WRONG" });
        var error = await Assert.ThrowsAsync<Errors.PsBackupException>(() => _engine.GetBackupsAsync(new BackupQuery { Repository = wrong }));
        Assert.Equal("RepositoryAccessDenied", error.ErrorId);
    }

    [Fact]
    public async Task Backups_through_a_faulty_network_complete_verify_and_restore_exactly()
    {
        using var proxy = new FaultyProxy(Peers.TestPeers.S3Endpoint, failureRate: 0.2, seed: 7);
        var location = await S3Repository.NewAsync();
        var address = new RepositoryAddress(location, S3Repository.Options(partSize: 5 << 20) with
        {
            Endpoint = proxy.Url, MaxRetries = 8, RetryBaseDelay = TimeSpan.FromMilliseconds(20), RetryMaxDelay = TimeSpan.FromMilliseconds(300),
        });
        var tree = new TreeBuilder(_temp.Combine("src"));
        for (var i = 0; i < 12; i++) tree.RandomFile($"d{i % 3}/f{i}.bin", 2_000_000, i);
        tree.File("a.txt", "alpha").TouchDirectories();
        await _engine.NewCollectionAsync(new NewCollectionRequest("flaky", [EngineFixture.Tree("src", tree.Root)])
            { Repository = address, IncrementalBackupEnabled = true, Passphrase = "p" });
        await _engine.InvokeBackupAsync(new BackupRequest("flaky") { Repository = address, Passphrase = "p" });
        tree.File("a.txt", "alpha 2").RandomFile("d0/f0.bin", 3_000_000, 99).TouchDirectories();
        var incremental = (await _engine.InvokeBackupAsync(new BackupRequest("flaky") { Repository = address, Type = BackupType.Incremental, Passphrase = "p" })).Backup;

        await foreach (var finding in _engine.TestBackupAsync(new VerifyRequest(incremental.Id) { Repository = address, Passphrase = "p" }))
            Assert.Equal(VerificationStatus.Ok, finding.Status);
        var destination = _temp.Combine("restored");
        await foreach (var outcome in _engine.RestoreAsync(new RestoreRequest(incremental.Id) { Repository = address, Destination = destination, Passphrase = "p" }))
            Assert.Null(outcome.Error);
        TreeSnapshot.AssertEqual(TreeSnapshot.Take(tree.Root), TreeSnapshot.Take(destination));
        Assert.True(proxy.Faults >= 5, $"only {proxy.Faults} faults were injected in {proxy.Requests.Count} requests");
    }

    [Fact]
    public async Task A_held_lock_in_S3_stops_a_second_writer()
    {
        var repository = await S3Repository.NewAsync();
        var tree = new TreeBuilder(_temp.Combine("src")).File("a", "a");
        await _engine.NewCollectionAsync(new NewCollectionRequest("locked", [EngineFixture.Tree("src", tree.Root)]) { Repository = repository });
        var store = RepositoryLocation.OpenStore(repository);
        await store.PutAsync("collections/locked/lock.json", System.Text.Encoding.UTF8.GetBytes(
            $$"""{"owner":"x","host":"another-host","pid":1,"user":"u","operation":"Invoke-Backup","acquired":"{{DateTimeOffset.UtcNow:o}}","expires":"{{DateTimeOffset.UtcNow.AddMinutes(5):o}}"}"""), default);
        var error = await Assert.ThrowsAsync<Errors.LockConflictException>(() => _engine.InvokeBackupAsync(new BackupRequest("locked") { Repository = repository }));
        Assert.Contains("another-host", error.Message);
    }
}
