using PsBackup.Engine.Operations;
using PsBackup.Engine.Tests.Peers;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.MongoDb;

/// <summary>
/// psbackup-cli killed with SIGKILL while it streams a collection: nothing becomes visible, and
/// the next backup (which removes the dead run's leftovers) restores exactly.
/// </summary>
public sealed class MongoDbKilledBackupTests : IDisposable
{
    private readonly EngineFixture _fx = new();

    [Fact]
    public async Task AKilledBackupLeavesNothingVisibleAndTheNextOneRestoresExactly()
    {
        await using var db = MongoTestDatabase.Create("killed");
        await db.InsertAsync("small", Enumerable.Range(0, 100).Select(MongoDocuments.Small));
        await db.InsertAsync("rows", Enumerable.Range(0, 20_000).Select(MongoDocuments.Typed));
        var uri = new MongoDB.Driver.MongoUrlBuilder(TestPeers.MongoUri) { DatabaseName = db.Name }.ToString();
        using (var create = CliProcess.Start("new-collection", "killed", uri, "--repository", _fx.Repository))
        {
            await create.WaitForExitAsync();
            Assert.True(create.ExitCode == 0, await create.StandardError.ReadToEndAsync());
        }
        var backups = Path.Combine(_fx.Repository, "collections", "killed", "backups");

        using (var process = CliProcess.Start("backup", "killed", "--repository", _fx.Repository, "--throttle-limit", "1"))
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!TempObject(backups, "rows.bson"))
            {
                if (process.HasExited)
                    Assert.Fail($"The backup finished before it could be killed (exit {process.ExitCode}): {await process.StandardError.ReadToEndAsync()}");
                Assert.True(DateTime.UtcNow < deadline, "The backup never started writing 'rows'");
                await Task.Delay(5);
            }
            process.Kill();
            await process.WaitForExitAsync();
        }
        Assert.Empty(await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository }));
        Assert.NotEmpty(Directory.EnumerateFiles(backups, "*", SearchOption.AllDirectories)); // the dead run's leftovers, invisible

        var backup = await _fx.BackupAsync("killed");
        Assert.Single(Directory.GetDirectories(backups)); // the leftovers are gone
        var restored = db.Other("restored");
        Assert.Null(Assert.Single(await _fx.RestoreAsync(backup.Id, restored)).Error);
        await db.AssertSameDocumentsAsync("rows", "rows", restored);
        await db.AssertSameDocumentsAsync("small", "small", restored);
    }

    private static bool TempObject(string backups, string artifact) =>
        Directory.Exists(backups) && Directory.EnumerateFiles(backups, "*", SearchOption.AllDirectories)
            .Any(f => Path.GetFileName(f).StartsWith(artifact, StringComparison.Ordinal) && f.Contains(".tmp-"));

    public void Dispose() => _fx.Dispose();
}
