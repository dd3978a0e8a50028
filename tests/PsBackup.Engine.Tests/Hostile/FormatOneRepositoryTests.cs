using PsBackup.Engine.Errors;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Hostile;

/// <summary>
/// Repositories written by format 1 (tests/fixtures/repository-format-1, made by main 18e6990's
/// psbackup-cli: no digests, no MACs, no stored-bytes hashes) keep working: listed, verified,
/// restored exactly, and extended with format-2 backups on top of their chains.
/// </summary>
public sealed class FormatOneRepositoryTests : IDisposable
{
    private const string Passphrase = "fixture passphrase";
    private readonly EngineFixture _fx = new();
    private readonly string _fixture = Path.Combine(CliProcess.RepoRoot(), "tests", "fixtures", "repository-format-1");

    public FormatOneRepositoryTests()
    {
        foreach (var file in Directory.EnumerateFiles(Path.Combine(_fixture, "repo"), "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(_fx.Repository, Path.GetRelativePath(Path.Combine(_fixture, "repo"), file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    public void Dispose() => _fx.Dispose();

    private string Source(int n) => Path.Combine(_fixture, $"source-{n}");

    [Fact]
    public async Task A_format_1_repository_lists_verifies_and_restores_exactly()
    {
        var backups = await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository });
        Assert.Equal(["docs/full", "docs/incremental", "vault/full"], backups.Select(b => $"{b.Collection}/{b.Type.ToString().ToLowerInvariant()}"));
        Assert.All(backups, b => Assert.Equal(BackupStatus.Complete, b.Status));
        Assert.True(backups[0].Pinned);
        Assert.Equal(["release"], backups[0].Tags);

        foreach (var backup in backups)
            Assert.All(await _fx.VerifyAsync(backup.Id, Passphrase), f => Assert.Equal(VerificationStatus.Ok, f.Status));
        foreach (var (backup, source) in new[] { (backups[0], 1), (backups[1], 2), (backups[2], 2) })
        {
            var destination = _fx.Temp.Combine("restore-" + backup.Id);
            Assert.Null(Assert.Single(await _fx.RestoreAsync(backup.Id, destination, passphrase: Passphrase)).Error);
            Assert.Equal(Content(Source(source)), Content(destination));
        }
    }

    [Fact]
    public async Task Format_2_backups_build_on_format_1_chains_and_documents_are_upgraded_when_rewritten()
    {
        // The fixture's source folder is gone: point the (format 1, digest-less) definitions at a copy of the tree.
        var tree = _fx.Temp.Combine("src");
        CopyTree(Source(2), tree);
        foreach (var collection in new[] { "docs", "vault" })
            Tamper.Edit(Path.Combine(_fx.Repository, "collections", collection, "collection.json"), c => c["targets"]![0]!["path"] = tree, reseal: false);
        File.WriteAllText(Path.Combine(tree, "added.txt"), "format 2");

        var incremental = await _fx.BackupAsync("docs", BackupType.Incremental);
        var chain = (await _fx.VerifyAsync(incremental.Id)).Select(f => f.ArtifactBackupId).Distinct().ToList();
        Assert.Equal(3, chain.Count); // format 1 full, format 1 incremental, format 2 incremental
        Assert.All(await _fx.VerifyAsync(incremental.Id), f => Assert.Equal(VerificationStatus.Ok, f.Status));
        var manifest = Tamper.Read(Path.Combine(_fx.Repository, "collections", "docs", "backups", incremental.Id, "manifest.json"));
        Assert.Equal(2, (int)manifest["version"]!);
        Assert.NotNull(manifest["digest"]);
        var restored = _fx.Temp.Combine("restored");
        Assert.Null(Assert.Single(await _fx.RestoreAsync(incremental.Id, restored)).Error);
        TreeSnapshot.AssertEqual(TreeSnapshot.Take(tree), TreeSnapshot.Take(restored));

        // An encrypted format 1 collection (key format 1): new manifests get a MAC, old ones stay readable without.
        var vault = await _fx.BackupAsync("vault", passphrase: Passphrase);
        Assert.NotNull(Tamper.Read(Path.Combine(_fx.Repository, "collections", "vault", "backups", vault.Id, "manifest.json"))["mac"]);
        Assert.All(await _fx.VerifyAsync(vault.Id, Passphrase), f => Assert.Equal(VerificationStatus.Ok, f.Status));

        // Rewriting a format 1 document writes format 2.
        await _fx.Engine.SetCollectionAsync(new SetCollectionRequest("docs") { Repository = _fx.Repository, Compression = CompressionKind.Gzip });
        var definition = Tamper.Read(Path.Combine(_fx.Repository, "collections", "docs", "collection.json"));
        Assert.Equal((2, true), ((int)definition["version"]!, definition["digest"] != null));
        var full = (await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository, Collection = "docs" }))[0];
        await _fx.Engine.SetBackupAsync(new SetBackupRequest(full.Id) { Repository = _fx.Repository, Tags = ["kept"] });
        Assert.Equal(["kept"], (await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository, Id = full.Id }))[0].Tags);
    }

    [Fact]
    public async Task A_format_1_lock_left_by_a_dead_writer_is_taken_over()
    {
        // Format 1 locks had no format, version or digest.
        await File.WriteAllTextAsync(Path.Combine(_fx.Repository, "collections", "docs", "lock.json"),
            $$"""{ "owner": "dead", "host": "{{Environment.MachineName}}", "pid": 999999999, "user": "x", "operation": "Invoke-Backup", "acquired": "2026-01-01T00:00:00+00:00", "expires": "2999-01-01T00:00:00+00:00" }""");
        var tree = _fx.Temp.Combine("src");
        CopyTree(Source(1), tree);
        Tamper.Edit(Path.Combine(_fx.Repository, "collections", "docs", "collection.json"), c => c["targets"]![0]!["path"] = tree, reseal: false);
        await _fx.BackupAsync("docs");
    }

    [Fact]
    public async Task A_format_1_document_is_still_checked_for_what_it_holds()
    {
        // Format 1 has no digest, so an edit cannot be told from the original; its content is still checked.
        var id = (await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository, Collection = "docs" }))[0].Id;
        Tamper.Edit(Path.Combine(_fx.Repository, "collections", "docs", "backups", id, "manifest.json"),
            m => m["targets"]![0]!["artifacts"]![0]!["path"] = "../../../../config.json", reseal: false);
        var finding = Assert.Single(await _fx.VerifyAsync(id));
        Assert.Equal(VerificationStatus.Corrupt, finding.Status);
        await Assert.ThrowsAsync<DocumentCorruptException>(() => _fx.RestoreAsync(id, _fx.Temp.Combine("r")));
    }

    /// <summary>Paths, types, bytes and link targets (a checkout's modes and times are its own, not the fixture's).</summary>
    private static List<string> Content(string root) =>
        [.. TreeSnapshot.Take(root).Values.Where(i => i.Path != ".").Select(i => $"{i.Path} {i.Type} {i.Sha256} {i.LinkTarget}")];

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var entry in new DirectoryInfo(from).EnumerateFileSystemInfos("*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, entry.FullName));
            if (entry.LinkTarget != null) File.CreateSymbolicLink(target, entry.LinkTarget);
            else if (entry is DirectoryInfo) Directory.CreateDirectory(target);
            else File.Copy(entry.FullName, target);
        }
    }
}
