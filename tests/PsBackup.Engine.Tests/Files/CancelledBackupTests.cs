using PsBackup.Engine.Operations;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Files;

/// <summary>
/// A backup cancelled mid-way (Ctrl+C in Invoke-Backup) leaves no folder at all, and folders
/// an interrupted writer left empty (no object in them, so no listing shows them) are removed
/// by the next backup.
/// </summary>
public sealed class CancelledBackupTests : IDisposable
{
    private readonly EngineFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    private string BackupsFolder(string collection) => Path.Combine(_fx.Repository, "collections", collection, "backups");

    [Fact]
    public async Task A_cancelled_backup_leaves_no_folder_behind()
    {
        var tree = new TreeBuilder(_fx.Temp.Combine("src"));
        for (var i = 0; i < 20; i++) tree.RandomFile($"d{i % 3}/f{i}.bin", 200_000, i);
        // 8 GB sparse: seconds to read, so the backup is surely running when it is cancelled.
        using (var sparse = File.Create(tree.PathOf("huge.sparse")))
            sparse.SetLength(8L << 30);
        await _fx.NewCollectionAsync("cancelled", targets: EngineFixture.Tree("src", tree.Root));
        var backups = BackupsFolder("cancelled");

        using var cancel = new CancellationTokenSource();
        var run = _fx.Engine.InvokeBackupAsync(new BackupRequest("cancelled") { Repository = _fx.Repository }, null, cancel.Token);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!(Directory.Exists(backups) && Directory.EnumerateDirectories(backups).Any()))
        {
            Assert.False(run.IsCompleted, "the backup finished before it could be cancelled");
            Assert.True(DateTime.UtcNow < deadline, "the backup never started writing");
            await Task.Delay(2);
        }
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);

        Assert.Empty(await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository }));
        Assert.Empty(Directory.Exists(backups) ? Directory.EnumerateFileSystemEntries(backups, "*", SearchOption.AllDirectories) : []);
    }

    [Fact]
    public async Task Empty_folders_of_an_interrupted_backup_are_removed_by_the_next_backup()
    {
        var tree = new TreeBuilder(_fx.Temp.Combine("src"));
        tree.File("a.txt", "alpha");
        await _fx.NewCollectionAsync("leftovers", targets: EngineFixture.Tree("src", tree.Root));
        var first = await _fx.BackupAsync("leftovers");
        var backups = BackupsFolder("leftovers");
        // What an interrupted writer leaves: a backup folder with an empty target folder, and an
        // empty folder inside a committed backup (which must stay otherwise untouched).
        var stale = "20200101T000000Z_full_0badcafe";
        Directory.CreateDirectory(Path.Combine(backups, stale, "src", "nested"));
        Directory.CreateDirectory(Path.Combine(backups, first.Id, "empty-target"));

        var next = await _fx.Engine.InvokeBackupAsync(new BackupRequest("leftovers") { Repository = _fx.Repository });

        Assert.Empty(next.Failures);
        Assert.Equal(1, next.RemovedUnfinished);
        // Two backups in the same second sort by their random short ids: compare as sets.
        Assert.Equal(new[] { first.Id, next.Backup.Id }.Order(StringComparer.Ordinal), Directory.EnumerateDirectories(backups).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(backups, first.Id, "empty-target")));
        Assert.All(await _fx.VerifyAsync(first.Id), finding => Assert.Equal(VerificationStatus.Ok, finding.Status));
    }
}
