using Npgsql;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.PostgreSql;

/// <summary>
/// psbackup-cli killed with SIGKILL in the middle of a full backup and of an incremental: nothing
/// becomes visible, the replication slot still holds every change the chain needs, and the next
/// backups restore exactly.
/// </summary>
public sealed class PgKilledBackupTests : IDisposable
{
    private readonly EngineFixture _fx = new();

    [Fact]
    public async Task KilledFullAndIncrementalLeaveNothingVisibleAndLoseNoChange()
    {
        await using var db = await PgTestDatabase.CreateAsync("killed");
        await db.ExecAsync("""
            CREATE TABLE rows (id int PRIMARY KEY, v int NOT NULL, pad text);
            INSERT INTO rows SELECT g, 0, md5(g::text) || md5((-g)::text) || md5((g * 7)::text) || md5((g * 13)::text)
            FROM generate_series(1, 600000) g;
            """);
        await _fx.NewCollectionAsync("killed", targets: db.Target("rows"));
        var backups = Path.Combine(_fx.Repository, "collections", "killed", "backups");

        // Full: killed while it streams the table (its artifact is still a temporary object).
        await KillWhenAsync("backup", () => Task.FromResult(TempObject(backups, "table-0001")));
        Assert.Empty(await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository }));
        Assert.Equal(1, await SlotsAsync(db)); // the dead run's slot, dropped by the next backup

        var full = await _fx.BackupAsync("killed");
        Assert.Equal(1, await SlotsAsync(db));

        // Incremental: killed while it reads 600,000 updates from the slot.
        await db.ExecAsync("UPDATE rows SET v = v + 1; DELETE FROM rows WHERE id % 1000 = 0;");
        await KillWhenAsync("backup --incremental", () => Task.FromResult(TempObject(backups, "changes")));
        Assert.Equal([full.Id], (await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository })).Select(b => b.Id));

        await db.ExecAsync("INSERT INTO rows VALUES (1000, 42, 'again')");
        var incremental = await _fx.BackupAsync("killed", BackupType.Incremental);
        await using var restored = await PgTestDatabase.CreateAsync("killeddst");
        Assert.Null(Assert.Single(await _fx.RestoreAsync(incremental.Id, restored.Name)).Error);
        Assert.Equal(await db.FingerprintAsync("rows", "id"), await restored.FingerprintAsync("rows", "id"));
        Assert.Equal(600000 - 599, await restored.ScalarAsync<long>("SELECT count(*) FROM rows"));

        async Task KillWhenAsync(string command, Func<Task<bool>> ready)
        {
            using var process = CliProcess.Start([.. command.Split(' ').Take(1), "killed", .. command.Split(' ').Skip(1), "--repository", _fx.Repository]);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!await ready())
            {
                if (process.HasExited)
                    Assert.Fail($"'{command}' finished before it could be killed (exit {process.ExitCode}): {await process.StandardError.ReadToEndAsync()}");
                Assert.True(DateTime.UtcNow < deadline, $"'{command}' never got to the point to kill it");
                await Task.Delay(5);
            }
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    private static bool TempObject(string backups, string artifact) =>
        Directory.Exists(backups) && Directory.EnumerateFiles(backups, "*", SearchOption.AllDirectories)
            .Any(f => Path.GetFileName(f).StartsWith(artifact, StringComparison.Ordinal) && f.Contains(".tmp-"));

    private static Task<long> SlotsAsync(PgTestDatabase db) =>
        db.ScalarAsync<long>($"SELECT count(*) FROM pg_replication_slots WHERE database = '{db.Name}'");

    public void Dispose() => _fx.Dispose();
}
