using PsBackup.Engine.Errors;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Storage;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Storage;

/// <summary>Copy-Backup between repositories: local → S3 → another bucket → local, chains, re-runs, interruptions, damage.</summary>
public sealed class CopyBackupTests : IDisposable
{
    private readonly EngineFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    /// <summary>The errors of the last copies, one per backup (null where it succeeded).</summary>
    private List<PsBackupException?> CopyErrors { get; } = [];

    private async Task<List<CopyResult>> CopyAsync(RepositoryAddress? source, RepositoryAddress destination, string collection, string? id = null,
        string? passphrase = null, CancellationToken ct = default, IProgress<BackupProgress>? progress = null)
    {
        var results = new List<CopyResult>();
        CopyErrors.Clear();
        await foreach (var outcome in _fx.Engine.CopyBackupAsync(new CopyRequest(collection, destination) { Source = source, Id = id, Passphrase = passphrase }, progress, ct))
        {
            // A failure carries the error it had, with its own ErrorId (ArtifactCorrupt …), and says the same.
            Assert.Equal(outcome.Result.Status == CopyStatus.Failed, outcome.Error != null);
            Assert.Equal(outcome.Error?.Message, outcome.Result.Status == CopyStatus.Failed ? outcome.Result.Message : null);
            CopyErrors.Add(outcome.Error);
            results.Add(outcome.Result);
        }
        return results;
    }

    private async Task<List<BackupInfo>> ListAsync(RepositoryAddress repository, string collection) =>
        await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = repository, Collection = collection });

    private async Task RestoreFromAsync(RepositoryAddress repository, string id, string destination, string? passphrase = null)
    {
        await foreach (var outcome in _fx.Engine.RestoreAsync(new RestoreRequest(id) { Repository = repository, Destination = destination, Passphrase = passphrase }))
            Assert.Null(outcome.Error);
    }

    /// <summary>A collection "docs" in the fixture's local repository with a full and an incremental backup; the snapshot at each.</summary>
    private async Task<(TreeBuilder Tree, List<(BackupInfo Backup, SortedDictionary<string, TreeItem> Snapshot)> Points)> ChainAsync(
        string passphrase = "", CompressionKind compression = CompressionKind.Brotli)
    {
        var tree = new TreeBuilder(_fx.Temp.Combine("src"));
        for (var i = 0; i < 6; i++) tree.RandomFile($"d{i % 2}/f{i}.bin", 400_000, i, compressible: i % 2 == 0);
        tree.File("a.txt", "alpha").Symlink("link", "a.txt").Directory("empty").TouchDirectories();
        await _fx.NewCollectionAsync("docs", passphrase, compression: compression, targets: EngineFixture.Tree("src", tree.Root));
        var pass = passphrase.Length == 0 ? null : passphrase;
        var points = new List<(BackupInfo, SortedDictionary<string, TreeItem>)> { (await _fx.BackupAsync("docs", BackupType.Full, pass), TreeSnapshot.Take(tree.Root)) };
        tree.File("a.txt", "alpha changed").Delete("d1/f1.bin").RandomFile("new.bin", 200_000, 77).TouchDirectories();
        points.Add((await _fx.BackupAsync("docs", BackupType.Incremental, pass), TreeSnapshot.Take(tree.Root)));
        return (tree, points);
    }

    private static int ArtifactCount(BackupInfo backup, string repository, string collection) =>
        Directory.GetFiles(Path.Combine(repository, "collections", collection, "backups", backup.Id), "*", SearchOption.AllDirectories)
            .Count(f => !f.EndsWith("manifest.json", StringComparison.Ordinal));

    [Fact]
    public async Task Local_to_S3_to_another_bucket_copies_verbatim_and_restores_exactly()
    {
        var (_, points) = await ChainAsync();
        var first = await S3Repository.NewAsync("dr/one");
        var second = new RepositoryAddress(await S3Repository.NewAsync("dr/two"), S3Repository.Options() with { Endpoint = Peers.TestPeers.S3Endpoint });

        var toS3 = await CopyAsync(_fx.Repository, first, "docs");
        Assert.Equal(points.Select(p => p.Backup.Id), toS3.Select(r => r.BackupId));
        Assert.All(toS3, r => Assert.Equal(CopyStatus.Copied, r.Status));
        Assert.All(toS3, r => Assert.Equal(0, r.ArtifactsSkipped));
        Assert.Equal(ArtifactCount(points[0].Backup, _fx.Repository, "docs"), toS3[0].ArtifactsCopied);
        Assert.Equal(points[0].Backup.StoredBytes, toS3[0].BytesCopied);
        Assert.Equal(BackupType.Incremental, toS3[1].Type);
        Assert.StartsWith("s3://", toS3[0].DestinationRepository);

        var toSecond = await CopyAsync(first, second, "docs");
        Assert.All(toSecond, r => Assert.Equal(CopyStatus.Copied, r.Status));

        // The copy is the same backups, byte for byte: same ids, stored sizes, and the stored objects equal.
        var listed = await ListAsync(second, "docs");
        Assert.Equal(points.Select(p => (p.Backup.Id, p.Backup.StoredBytes, p.Backup.SizeBytes)), listed.Select(b => (b.Id, b.StoredBytes, b.SizeBytes)));
        var local = RepositoryLocation.OpenStore(_fx.Repository);
        var remote = RepositoryLocation.OpenStore(second);
        await foreach (var entry in local.ListAsync("collections/docs/backups/", default))
            Assert.Equal(await local.ReadAllBytesAsync(entry.Key, default), await remote.ReadAllBytesAsync(entry.Key, default));
        Assert.Equal(await local.ReadAllBytesAsync("collections/docs/collection.json", default), await remote.ReadAllBytesAsync("collections/docs/collection.json", default));

        foreach (var (backup, snapshot) in points)
        {
            var destination = _fx.Temp.Combine("r-" + backup.Id);
            await RestoreFromAsync(second, backup.Id, destination);
            TreeSnapshot.AssertEqual(snapshot, TreeSnapshot.Take(destination));
        }
        await foreach (var finding in _fx.Engine.TestBackupAsync(new VerifyRequest(points[1].Backup.Id) { Repository = second }))
            Assert.Equal(VerificationStatus.Ok, finding.Status);
        Assert.Null(await remote.StatAsync("collections/docs/lock.json", default));

        // A re-run copies nothing.
        var again = await CopyAsync(first, second, "docs");
        Assert.All(again, r => Assert.Equal(CopyStatus.AlreadyPresent, r.Status));
        Assert.All(again, r => Assert.Equal(0, r.ArtifactsCopied + r.ArtifactsSkipped));
    }

    [Fact]
    public async Task Copying_an_incremental_brings_its_full_parent_and_nothing_else()
    {
        var (tree, points) = await ChainAsync();
        tree.File("later.txt", "later").TouchDirectories();
        var later = await _fx.BackupAsync("docs", BackupType.Full);
        var target = _fx.Temp.Combine("dr");

        var results = await CopyAsync(_fx.Repository, target, "docs", id: points[1].Backup.Id);
        Assert.Equal(points.Select(p => p.Backup.Id), results.Select(r => r.BackupId));
        Assert.All(results, r => Assert.Equal(CopyStatus.Copied, r.Status));
        Assert.Equal(points.Select(p => p.Backup.Id), (await ListAsync(target, "docs")).Select(b => b.Id));

        // The whole collection then: the two already there are skipped, the later full is copied.
        var all = await CopyAsync(_fx.Repository, target, "docs");
        Assert.Equal([CopyStatus.AlreadyPresent, CopyStatus.AlreadyPresent, CopyStatus.Copied], all.Select(r => r.Status));
        Assert.Equal(later.Id, all[2].BackupId);

        var destination = _fx.Temp.Combine("restored");
        await RestoreFromAsync(target, points[1].Backup.Id, destination);
        TreeSnapshot.AssertEqual(points[1].Snapshot, TreeSnapshot.Take(destination));
    }

    [Fact]
    public async Task An_interrupted_copy_resumes_and_copies_only_what_is_missing()
    {
        var (_, points) = await ChainAsync();
        var target = _fx.Temp.Combine("dr");
        await CopyAsync(_fx.Repository, target, "docs");
        var incremental = points[1].Backup;
        var artifacts = ArtifactCount(incremental, target, "docs");
        Assert.True(artifacts >= 2);

        // As if the copy of the incremental died after all but one artifact: no manifest, one artifact missing.
        var folder = Path.Combine(target, "collections", "docs", "backups", incremental.Id);
        File.Delete(Path.Combine(folder, "manifest.json"));
        File.Delete(Directory.GetFiles(folder, "index*", SearchOption.AllDirectories).Single());
        Assert.Single(await ListAsync(target, "docs"));

        var resumed = await CopyAsync(_fx.Repository, target, "docs");
        Assert.Equal([CopyStatus.AlreadyPresent, CopyStatus.Copied], resumed.Select(r => r.Status));
        Assert.Equal(1, resumed[1].ArtifactsCopied);
        Assert.Equal(artifacts - 1, resumed[1].ArtifactsSkipped);

        // A damaged leftover (right size, wrong bytes) is not trusted: it is copied again.
        File.Delete(Path.Combine(folder, "manifest.json"));
        var pack = Directory.GetFiles(folder, "pack-0*", SearchOption.AllDirectories).Single();
        var bytes = File.ReadAllBytes(pack);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(pack, bytes);
        var repaired = await CopyAsync(_fx.Repository, target, "docs");
        Assert.Equal(CopyStatus.Copied, repaired[1].Status);
        Assert.Equal(1, repaired[1].ArtifactsCopied);
        Assert.Equal(artifacts - 1, repaired[1].ArtifactsSkipped);

        var destination = _fx.Temp.Combine("restored");
        await RestoreFromAsync(target, incremental.Id, destination);
        TreeSnapshot.AssertEqual(points[1].Snapshot, TreeSnapshot.Take(destination));
    }

    [Fact]
    public async Task A_cancelled_copy_leaves_nothing_visible_and_a_rerun_completes_it()
    {
        var (_, points) = await ChainAsync(compression: CompressionKind.None);
        var target = await S3Repository.NewAsync();
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress(_ => cts.Cancel());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => CopyAsync(_fx.Repository, target, "docs", ct: cts.Token, progress: progress));
        Assert.Empty(await ListAsync(target, "docs"));
        var store = RepositoryLocation.OpenStore(target);
        Assert.Null(await store.StatAsync("collections/docs/lock.json", default));

        var resumed = await CopyAsync(_fx.Repository, target, "docs");
        Assert.All(resumed, r => Assert.Equal(CopyStatus.Copied, r.Status));
        var destination = _fx.Temp.Combine("restored");
        await RestoreFromAsync(target, points[1].Backup.Id, destination);
        TreeSnapshot.AssertEqual(points[1].Snapshot, TreeSnapshot.Take(destination));
    }

    [Fact]
    public async Task An_encrypted_collection_copies_without_its_passphrase_and_restores_with_it()
    {
        const string passphrase = "dr secret";
        var (_, points) = await ChainAsync(passphrase);
        var s3 = await S3Repository.NewAsync("encrypted");
        var local = _fx.Temp.Combine("back-home");

        Assert.All(await CopyAsync(_fx.Repository, s3, "docs"), r => Assert.Equal(CopyStatus.Copied, r.Status));
        Assert.All(await CopyAsync(s3, local, "docs"), r => Assert.Equal(CopyStatus.Copied, r.Status));   // S3 → local
        var collections = await _fx.Engine.GetCollectionsAsync(local, "docs");
        Assert.True(Assert.Single(collections).Encrypted);

        var destination = _fx.Temp.Combine("restored");
        var error = await Assert.ThrowsAsync<PassphraseRequiredException>(() => RestoreFromAsync(local, points[1].Backup.Id, destination));
        Assert.Equal("PassphraseRequired", error.ErrorId);
        await RestoreFromAsync(local, points[1].Backup.Id, destination, passphrase);
        TreeSnapshot.AssertEqual(points[1].Snapshot, TreeSnapshot.Take(destination));

        // With the passphrase the plaintext is verified too; a wrong one is refused before anything is copied.
        var wrong = await Assert.ThrowsAsync<WrongPassphraseException>(() => CopyAsync(_fx.Repository, _fx.Temp.Combine("other"), "docs", passphrase: "nope"));
        Assert.Equal("WrongPassphrase", wrong.ErrorId);
        Assert.All(await CopyAsync(_fx.Repository, _fx.Temp.Combine("verified"), "docs", passphrase: passphrase), r => Assert.Equal(CopyStatus.Copied, r.Status));
    }

    [Fact]
    public async Task A_tampered_source_artifact_fails_its_backup_and_descendants_with_nothing_visible()
    {
        var (_, points) = await ChainAsync(compression: CompressionKind.None);
        var full = points[0].Backup;
        var pack = Directory.GetFiles(Path.Combine(_fx.Repository, "collections", "docs", "backups", full.Id), "pack-0*", SearchOption.AllDirectories).Single();
        var bytes = File.ReadAllBytes(pack);
        bytes[bytes.Length / 3] ^= 0x01;
        File.WriteAllBytes(pack, bytes);

        var target = await S3Repository.NewAsync();
        var results = await CopyAsync(_fx.Repository, target, "docs");
        Assert.Equal([CopyStatus.Failed, CopyStatus.Failed], results.Select(r => r.Status));
        Assert.Contains("pack-0", results[0].Message);
        Assert.Contains("SHA-256", results[0].Message);
        Assert.Contains(full.Id, results[1].Message);
        // The tampered artifact keeps its own ErrorId through the copy; its descendant says why it was not copied.
        Assert.Equal(["ArtifactCorrupt", "CopyFailed"], CopyErrors.Select(e => e!.ErrorId));
        Assert.Empty(await ListAsync(target, "docs"));
        var store = RepositoryLocation.OpenStore(target);
        await foreach (var entry in store.ListAsync($"collections/docs/backups/{full.Id}/", default))
            Assert.Fail($"left at the destination: {entry.Key}");
        Assert.Null(await store.StatAsync("collections/docs/lock.json", default));
    }

    [Fact]
    public async Task A_different_collection_of_the_same_name_at_the_destination_is_refused()
    {
        await ChainAsync();
        var target = _fx.Temp.Combine("dr");
        var other = new TreeBuilder(_fx.Temp.Combine("other")).File("x", "x");
        await _fx.Engine.NewCollectionAsync(new NewCollectionRequest("docs", [EngineFixture.Tree("other", other.Root)]) { Repository = target });

        var error = await Assert.ThrowsAsync<CollectionMismatchException>(() => CopyAsync(_fx.Repository, target, "docs"));
        Assert.Equal("CollectionMismatch", error.ErrorId);
        Assert.Contains("targets differ", error.Message);
        Assert.Empty(await ListAsync(target, "docs"));
    }

    /// <summary>IProgress that calls back synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SyncProgress(Action<BackupProgress> report) : IProgress<BackupProgress>
    {
        public void Report(BackupProgress value) => report(value);
    }
}
