using PsBackup.Engine.Operations;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Files;

/// <summary>A backup process killed with SIGKILL mid-way: nothing visible, and the next backup just works.</summary>
public sealed class KilledBackupTests : IDisposable
{
    private readonly EngineFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    /// <summary>Objects still being written (LocalObjectStore's "name.tmp-guid" siblings).</summary>
    private static IEnumerable<string> TempObjects(string dir) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Where(f => Path.GetFileName(f).Contains(".tmp-"));

    [Fact]
    public async Task A_sigkilled_backup_leaves_no_visible_backup_and_the_next_one_succeeds()
    {
        var tree = new TreeBuilder(_fx.Temp.Combine("src"));
        for (var i = 0; i < 50; i++) tree.RandomFile($"d{i % 7}/f{i}.bin", 1_000_000, i);
        // 2 GB allocated but never written: no disk writes, yet (no holes) seconds to read and
        // hash: the backup is certainly still running when the test, however loaded the machine, gets to kill it.
        RawFs.Preallocate(tree.PathOf("huge.bin"), 2L << 30);
        tree.TouchDirectories();
        await _fx.NewCollectionAsync("killed", targets: EngineFixture.Tree("src", tree.Root));
        var backups = Path.Combine(_fx.Repository, "collections", "killed", "backups");

        using (var process = CliProcess.Start("backup", "killed", "--repository", _fx.Repository))
        {
            // Kill as soon as artifacts stream into temporary objects: mid-backup, before any manifest exists.
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!(Directory.Exists(backups) && TempObjects(backups).Any()))
            {
                if (process.HasExited)
                    Assert.Fail($"the backup finished before it could be killed (exit {process.ExitCode}): {await process.StandardError.ReadToEndAsync()}");
                Assert.True(DateTime.UtcNow < deadline, "the backup never started streaming");
                await Task.Delay(2);
            }
            process.Kill(); // SIGKILL on Unix
            await process.WaitForExitAsync();
        }

        Assert.Empty(await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository }));
        Assert.False(Directory.EnumerateFiles(backups, "manifest.json", SearchOption.AllDirectories).Any());
        Assert.True(File.Exists(Path.Combine(_fx.Repository, "collections", "killed", "lock.json")), "the dead writer's lock is left behind");
        File.Delete(tree.PathOf("huge.bin"));
        tree.TouchDirectories();

        var next = await _fx.Engine.InvokeBackupAsync(new BackupRequest("killed") { Repository = _fx.Repository });
        Assert.Empty(next.Failures);
        Assert.Equal(1, next.RemovedUnfinished);
        Assert.Equal([next.Backup.Id], Directory.EnumerateDirectories(backups).Select(Path.GetFileName));
        Assert.Empty(TempObjects(backups));
        var destination = _fx.Temp.Combine("restored");
        Assert.Null(Assert.Single(await _fx.RestoreAsync(next.Backup.Id, destination)).Error);
        TreeSnapshot.AssertEqual(TreeSnapshot.Take(tree.Root), TreeSnapshot.Take(destination));
    }
}
