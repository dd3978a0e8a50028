using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Files;

public sealed class FileTreeRoundTripTests : IDisposable
{
    private readonly EngineFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    [Fact]
    public async Task Full_backup_restores_bytes_modes_mtimes_links_and_empty_directories()
    {
        var tree = new TreeBuilder(_fx.Temp.Combine("src"))
            .File("a.txt", "hello")
            .File("bin/run.sh", "#!/bin/sh\necho hi\n", (UnixFileMode)493)
            .File("secret/key", "k", (UnixFileMode)384)
            .RandomFile("data/blob.bin", 300_000, seed: 1)
            .File("empty.txt", "")
            .Directory("empty-dir")
            .Directory("locked", (UnixFileMode)365)
            .Symlink("link-to-a", "a.txt")
            .Symlink("dangling", "../nowhere")
            .TouchDirectories();
        var before = TreeSnapshot.Take(tree.Root);
        await _fx.NewCollectionAsync("files", targets: EngineFixture.Tree("src", tree.Root));

        var backup = await _fx.BackupAsync("files");
        var destination = _fx.Temp.Combine("restored");
        var outcomes = await _fx.RestoreAsync(backup.Id, destination);

        Assert.All(outcomes, o => Assert.Null(o.Error));
        TreeSnapshot.AssertEqual(before, TreeSnapshot.Take(destination));
    }
}
