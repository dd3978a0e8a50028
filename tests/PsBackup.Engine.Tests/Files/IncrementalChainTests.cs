using PsBackup.Engine.Operations;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Files;

/// <summary>A full backup and five incrementals with every kind of change between them; every point must restore exactly.</summary>
public sealed class IncrementalChainTests : IDisposable
{
    private readonly EngineFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    [Theory]
    [InlineData(CompressionKind.Zstd, "")]
    [InlineData(CompressionKind.Zstd, "correct horse battery staple")]
    [InlineData(CompressionKind.Gzip, "")]
    [InlineData(CompressionKind.Brotli, "")]
    [InlineData(CompressionKind.None, "")]
    [InlineData(CompressionKind.Gzip, "correct horse battery staple")]
    public async Task Every_point_of_a_six_backup_chain_restores_exactly(CompressionKind compression, string passphrase)
    {
        var tree = new TreeBuilder(_fx.Temp.Combine("src"));
        var pass = passphrase.Length == 0 ? null : passphrase;
        var changes = new Action[]
        {
            () => tree.File("a.txt", "alpha").File("docs/b.md", "# b").RandomFile("data/big.bin", 1_500_000, 1)
                      .RandomFile("data/text.log", 400_000, 2, compressible: true).Directory("empty").Symlink("to-a", "a.txt")
                      .File("bin/tool", "#!/bin/sh", (UnixFileMode)493),
            () => tree.File("a.txt", "alpha, modified (same dir, longer)").File("new/c.txt", "c"),                       // modify + add
            () => tree.Delete("docs/b.md").Move("new/c.txt", "new/renamed-c.txt"),                                     // delete + rename
            () => tree.Chmod("bin/tool", (UnixFileMode)448).Chmod("a.txt", (UnixFileMode)384).Delete("to-a").Symlink("to-a", "docs"), // modes, relink
            () => tree.RandomFile("data/big.bin", 1_500_000, 3).Delete("empty").Directory("empty2").File("docs/b.md", "back again"), // rewrite, dirs
            () => tree.File("zero", "").Delete("data/text.log").Move("bin/tool", "bin/tool2"),                          // empty file, delete, rename
        };
        var backups = new List<(BackupInfo Backup, SortedDictionary<string, TreeItem> Snapshot)>();
        for (var i = 0; i < changes.Length; i++)
        {
            changes[i]();
            tree.TouchDirectories();
            if (i == 0)
                await _fx.NewCollectionAsync("chain", passphrase, compression: compression, targets: EngineFixture.Tree("src", tree.Root));
            var backup = await _fx.BackupAsync("chain", i == 0 ? BackupType.Full : BackupType.Incremental, pass);
            backups.Add((backup, TreeSnapshot.Take(tree.Root)));
        }

        for (var i = 0; i < backups.Count; i++)
        {
            var destination = _fx.Temp.Combine($"restore-{i}");
            var outcomes = await _fx.RestoreAsync(backups[i].Backup.Id, destination, passphrase: pass);
            Assert.All(outcomes, o => Assert.Null(o.Error));
            TreeSnapshot.AssertEqual(backups[i].Snapshot, TreeSnapshot.Take(destination));
        }

        // The chain is linked and incrementals store only what changed.
        for (var i = 1; i < backups.Count; i++)
            Assert.Equal(backups[i - 1].Backup.Id, backups[i].Backup.ParentId);
        Assert.True(backups[1].Backup.SizeBytes < 10_000, $"incremental after a small edit holds {backups[1].Backup.SizeBytes} bytes");
        Assert.True(backups[4].Backup.SizeBytes >= 1_500_000, "a rewritten file is stored again");
        var findings = await _fx.VerifyAsync(backups[^1].Backup.Id, pass);
        Assert.Equal(backups.Count * 2, findings.Count);
        Assert.All(findings, f => Assert.Equal(VerificationStatus.Ok, f.Status));
    }

    [Fact]
    public async Task Large_targets_spread_over_parallel_packs_and_incrementals_point_into_them()
    {
        var tree = new TreeBuilder(_fx.Temp.Combine("src"));
        for (var i = 0; i < 40; i++) tree.RandomFile($"d{i % 5}/f{i}.bin", 700_000, i, compressible: i % 2 == 0);
        tree.TouchDirectories();
        await _fx.NewCollectionAsync("packs", targets: EngineFixture.Tree("src", tree.Root));
        var full = await _fx.BackupAsync("packs");
        var fullSnapshot = TreeSnapshot.Take(tree.Root);
        tree.RandomFile("d1/f1.bin", 10, 99).RandomFile("d3/new.bin", 2_000_000, 98).Delete("d4/f4.bin").TouchDirectories();
        var incremental = await _fx.BackupAsync("packs", BackupType.Incremental);

        var packs = Directory.EnumerateFiles(Path.Combine(_fx.Repository, "collections", "packs", "backups", full.Id, "src"), "pack-*").Count();
        Assert.Equal(Math.Clamp(Environment.ProcessorCount, 1, 4), packs);
        Assert.InRange(incremental.SizeBytes, 2_000_000, 2_100_000); // only the changed bytes, plus the index
        foreach (var (backup, snapshot) in new[] { (full, fullSnapshot), (incremental, TreeSnapshot.Take(tree.Root)) })
        {
            var destination = _fx.Temp.Combine("r-" + backup.Id);
            Assert.Null(Assert.Single(await _fx.RestoreAsync(backup.Id, destination)).Error);
            TreeSnapshot.AssertEqual(snapshot, TreeSnapshot.Take(destination));
        }
    }

    [Fact]
    public async Task Latest_and_type_filters_select_backups()
    {
        var tree = new TreeBuilder(_fx.Temp.Combine("src")).File("a", "1");
        await _fx.NewCollectionAsync("filters", targets: EngineFixture.Tree("src", tree.Root));
        var full = await _fx.BackupAsync("filters");
        tree.File("a", "22");
        var inc = await _fx.BackupAsync("filters", BackupType.Incremental);

        var all = await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository });
        Assert.Equal([full.Id, inc.Id], all.Select(b => b.Id));
        var latest = Assert.Single(await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository, Collection = "filt*", Latest = true }));
        Assert.Equal(inc.Id, latest.Id);
        var fulls = Assert.Single(await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository, Type = BackupType.Full }));
        Assert.Equal(full.Id, fulls.Id);
        Assert.Equal(BackupStatus.Complete, latest.Status);
        Assert.True(latest.Age >= TimeSpan.Zero && latest.Duration >= TimeSpan.Zero);
    }
}
