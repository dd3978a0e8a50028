using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Files;

public sealed class FilterAndSpecialFileTests : IDisposable
{
    private readonly EngineFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    [Fact]
    public async Task Excludes_prune_whole_subtrees_and_special_files_are_skipped_with_a_warning()
    {
        var tree = new TreeBuilder(_fx.Temp.Combine("src"))
            .File("app/main.js", "main").File("app/node_modules/x/index.js", "dep").File("logs/today.log", "log")
            .File("src/logs/keep-me.txt", "nested logs dir is excluded too").File("cache.tmp", "t").File("tmp/t.txt", "t")
            .File("keep.txt", "keep").TouchDirectories();
        System.Diagnostics.Process.Start("mkfifo", tree.PathOf("a-fifo"))!.WaitForExit();
        await _fx.NewCollectionAsync("filtered", targets: EngineFixture.Tree("src", tree.Root, exclude: ["node_modules", "logs", "tmp", "*.tmp"]));

        var result = await _fx.Engine.InvokeBackupAsync(new Operations.BackupRequest("filtered") { Repository = _fx.Repository });
        Assert.Contains(result.Warnings, w => w.Contains("a-fifo") && w.Contains("not a regular file"));
        var destination = _fx.Temp.Combine("r");
        Assert.Null(Assert.Single(await _fx.RestoreAsync(result.Backup.Id, destination)).Error);
        var restored = TreeSnapshot.Take(destination).Keys.ToList();
        Assert.Equal([".", "app", "app/main.js", "keep.txt", "src"], restored);
    }

    [Fact]
    public async Task Includes_keep_only_matching_files_and_their_directories()
    {
        var tree = new TreeBuilder(_fx.Temp.Combine("src"))
            .File("etc/app.conf", "c").File("etc/app.log", "l").File("other/readme", "r").File("x.conf", "x").TouchDirectories();
        await _fx.NewCollectionAsync("included", targets: EngineFixture.Tree("src", tree.Root, include: ["*.conf"]));
        var backup = await _fx.BackupAsync("included");
        var destination = _fx.Temp.Combine("r");
        Assert.Null(Assert.Single(await _fx.RestoreAsync(backup.Id, destination)).Error);
        Assert.Equal([".", "etc", "etc/app.conf", "x.conf"], TreeSnapshot.Take(destination).Keys.ToList());
    }
}
