using System.Diagnostics;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Tests.Support;
using Xunit.Abstractions;

namespace PsBackup.Engine.Tests.Hostile;

/// <summary>
/// The crash-consistency loop: backups (psbackup-cli, full and incremental, encrypted) killed with
/// SIGKILL at random moments. Afterwards no broken backup is visible, every visible backup verifies,
/// and the next backups succeed and restore exactly. Bounded to well under a minute.
/// </summary>
public sealed class CrashConsistencyTests(ITestOutputHelper output) : IDisposable
{
    private const string Passphrase = "crash passphrase";
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(30);
    private readonly EngineFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    [Fact]
    public async Task Backups_killed_at_random_moments_leave_only_whole_backups()
    {
        var tree = new TreeBuilder(_fx.Temp.Combine("src"));
        for (var i = 0; i < 30; i++) tree.RandomFile($"d{i % 5}/f{i}.bin", 300_000, i, compressible: i % 2 == 0);
        tree.TouchDirectories();
        await _fx.NewCollectionAsync("crash", Passphrase, targets: EngineFixture.Tree("src", tree.Root));
        var environment = new Dictionary<string, string> { ["PSBACKUP_PASSPHRASE"] = Passphrase };
        var random = new Random(2020);

        // Undisturbed runs tell how long a backup takes here (the last one that finished), so kills land anywhere in one.
        var clock = Stopwatch.StartNew();
        Assert.Equal(0, await RunAsync(environment, "backup", killAfter: null));
        clock.Restart();
        Assert.Equal(0, await RunAsync(environment, "backup --incremental", killAfter: null));
        var duration = clock.Elapsed;

        var counts = new Dictionary<string, int> { ["killed"] = 0, ["finished"] = 0, ["refused"] = 0, ["mid-write"] = 0, ["after commit"] = 0 };
        var backups = Path.Combine(_fx.Repository, "collections", "crash", "backups");
        var runs = 0;
        var loop = Stopwatch.StartNew();
        while (loop.Elapsed + duration * 2 < Budget && runs < 30)
        {
            runs++;
            tree.RandomFile($"d{runs % 5}/f{runs % 30}.bin", 300_000, 1000 + runs, compressible: runs % 2 == 0).TouchDirectories();
            var incremental = runs % 4 != 0;
            // Every other run is killed at a random moment after its first object started streaming (mid-write for sure),
            // the others at a random moment of the whole run (before the lock, while writing, around the commit, after).
            var afterFirstObject = runs % 2 == 0;
            var killAfter = TimeSpan.FromMilliseconds(random.NextDouble() * duration.TotalMilliseconds * (afterFirstObject ? 0.5 : 1.5));
            clock.Restart();
            var before = (await ListAsync()).Count;
            var exit = await RunAsync(environment, incremental ? "backup --incremental" : "backup", killAfter, afterFirstObject ? backups : null);
            if (exit == 0) duration = clock.Elapsed;
            counts[exit switch { null => "killed", 0 => "finished", _ => "refused" }]++;
            // After every kill: nothing half-written is visible.
            var listed = await ListAsync();
            Assert.All(listed, b => Assert.Equal(BackupStatus.Complete, b.Status));
            if (exit == null && listed.Count > before) counts["after commit"]++;
            if (exit == null && Directory.EnumerateDirectories(backups).Any(d => !File.Exists(Path.Combine(d, "manifest.json")))) counts["mid-write"]++;
        }

        var visible = await ListAsync();
        foreach (var backup in visible)
            Assert.All(await _fx.VerifyAsync(backup.Id, Passphrase), f => Assert.True(f.Status == VerificationStatus.Ok, $"{backup.Id}: {f.Artifact} {f.Status} {f.Message}"));
        var next = await _fx.Engine.InvokeBackupAsync(new BackupRequest("crash") { Repository = _fx.Repository, Type = BackupType.Incremental, Passphrase = Passphrase });
        Assert.Empty(next.Failures);
        var restored = _fx.Temp.Combine("restored");
        Assert.Null(Assert.Single(await _fx.RestoreAsync(next.Backup.Id, restored, passphrase: Passphrase)).Error);
        TreeSnapshot.AssertEqual(TreeSnapshot.Take(tree.Root), TreeSnapshot.Take(restored));
        Assert.Equal(visible.Count + 1, Directory.EnumerateDirectories(backups).Count()); // unfinished folders were removed
        Assert.Empty(Directory.EnumerateFiles(backups, "*.tmp-*", SearchOption.AllDirectories));

        output.WriteLine($"crash loop: {runs} runs in {loop.Elapsed.TotalSeconds:F1} s (a backup takes {duration.TotalMilliseconds:F0} ms): " +
                         $"{counts["killed"]} killed ({counts["mid-write"]} mid-write, {counts["after commit"]} after their commit), {counts["finished"]} finished, {counts["refused"]} refused; " +
                         $"{visible.Count} backups visible, all verified; 0 broken; the next backup succeeded and restored exactly");
        Assert.True(counts["killed"] >= runs / 3, $"too few kills landed: {counts["killed"]} of {runs}");
    }

    private Task<List<BackupInfo>> ListAsync() => _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository, Collection = "crash" });

    /// <summary>Runs psbackup-cli; null when it was killed before it exited.</summary>
    /// <summary>Runs psbackup-cli; null when it was killed before it exited. With <paramref name="streamingIn"/>, the delay counts from its first object being written there.</summary>
    private async Task<int?> RunAsync(Dictionary<string, string> environment, string command, TimeSpan? killAfter, string? streamingIn = null)
    {
        using var process = CliProcess.Start(environment, [.. command.Split(' '), "crash", "--repository", _fx.Repository]);
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var exited = process.WaitForExitAsync();
        while (streamingIn != null && !exited.IsCompleted && !(Directory.Exists(streamingIn) && Directory.EnumerateFiles(streamingIn, "*.tmp-*", SearchOption.AllDirectories).Any()))
            await Task.Delay(1);
        if (killAfter != null && await Task.WhenAny(exited, Task.Delay(killAfter.Value)) != exited)
        {
            process.Kill(); // SIGKILL
            await exited;
            return null;
        }
        await exited;
        await Task.WhenAll(stderr, stdout);
        if (process.ExitCode != 0)
            Assert.Contains("error: NoFullBackup", await stderr); // the only refusal expected: an incremental before any full
        return process.ExitCode;
    }
}
