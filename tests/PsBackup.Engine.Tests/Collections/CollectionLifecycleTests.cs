using PsBackup.Engine.Errors;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Collections;

public sealed class CollectionLifecycleTests : IDisposable
{
    private readonly EngineFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    [Fact]
    public async Task Collections_are_listed_by_wildcard_and_removed_with_all_their_backups()
    {
        var tree = new TreeBuilder(_fx.Temp.Combine("src")).File("a", "a");
        foreach (var name in new[] { "prod-db", "prod-files", "staging" })
            await _fx.NewCollectionAsync(name, targets: EngineFixture.Tree("src", tree.Root));
        await _fx.BackupAsync("prod-files");

        var prod = await _fx.Engine.GetCollectionsAsync(_fx.Repository, "PROD-*");
        Assert.Equal(["prod-db", "prod-files"], prod.Select(c => c.Name));
        var files = Assert.Single(prod, c => c.Name == "prod-files");
        Assert.Equal(1, files.TargetCount);
        Assert.Equal(CompressionKind.Zstd, files.Compression); // the default
        Assert.Equal(tree.Root, ((FileTreeTarget)files.Targets[0]).Path);
        await Assert.ThrowsAsync<CollectionNotFoundException>(() => _fx.Engine.GetCollectionsAsync(_fx.Repository, "prod"));
        Assert.Empty(await _fx.Engine.GetCollectionsAsync(_fx.Repository, "nothing*"));

        await _fx.Engine.RemoveCollectionAsync(_fx.Repository, "prod-files");
        Assert.Equal(["prod-db", "staging"], (await _fx.Engine.GetCollectionsAsync(_fx.Repository, null)).Select(c => c.Name));
        Assert.False(Directory.Exists(Path.Combine(_fx.Repository, "collections", "prod-files")));

        // A new collection of the same name starts empty.
        await _fx.NewCollectionAsync("prod-files", targets: EngineFixture.Tree("src", tree.Root));
        Assert.Empty(await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository, Collection = "prod-files" }));
        await Assert.ThrowsAsync<CollectionNotFoundException>(() => _fx.Engine.RemoveCollectionAsync(_fx.Repository, "gone"));
    }

    [Fact]
    public async Task A_collection_being_backed_up_cannot_be_removed()
    {
        var tree = new TreeBuilder(_fx.Temp.Combine("src"));
        await _fx.NewCollectionAsync("busy", targets: EngineFixture.Tree("src", tree.Root));
        await File.WriteAllTextAsync(Path.Combine(_fx.Repository, "collections", "busy", "lock.json"),
            $$"""{"owner":"x","host":"{{Environment.MachineName}}","pid":{{Environment.ProcessId}},"user":"u","operation":"Invoke-Backup","acquired":"{{DateTimeOffset.UtcNow:o}}","expires":"{{DateTimeOffset.UtcNow.AddMinutes(5):o}}"}""");
        await Assert.ThrowsAsync<LockConflictException>(() => _fx.Engine.RemoveCollectionAsync(_fx.Repository, "busy"));
        Assert.Single(await _fx.Engine.GetCollectionsAsync(_fx.Repository, "busy"));
    }

    [Fact]
    public void Target_factory_validates_and_names_targets()
    {
        var dir = Directory.CreateDirectory(_fx.Temp.Combine("My App (prod)")).FullName;
        var target = Providers.Files.FileTreeTargets.Create(dir + "/", null, null, ["*.tmp"]);
        Assert.Equal("My-App-prod", target.Name);
        Assert.Equal(dir, target.Path);
        Assert.Throws<TargetUnavailableException>(() => Providers.Files.FileTreeTargets.Create(_fx.Temp.Combine("missing"), null, null, null));
        Assert.Throws<InvalidBackupRequestException>(() => Providers.Files.FileTreeTargets.Create("relative/path", null, null, null));
        Assert.Throws<InvalidBackupRequestException>(() => Providers.Files.FileTreeTargets.Create(dir, "bad name!", null, null));
    }
}
