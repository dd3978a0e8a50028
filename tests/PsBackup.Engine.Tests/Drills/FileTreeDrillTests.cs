using PsBackup.Engine.Operations;
using PsBackup.Engine.Tests.Files;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Drills;

/// <summary>
/// Restore drills of file trees (issue 15): the fidelity tree (names as bytes, owners, hard links,
/// holes, xattrs, ACLs, mode bits) restored into a temporary folder and read back; a flipped byte
/// and a line dropped from a resealed index fail with a clear reason; the folder is gone after a
/// pass, a failure and a cancellation fired mid-restore; the evidence round-trips.
/// </summary>
[Collection(DrillCollection.Name)]
public sealed class FileTreeDrillTests : IDisposable
{
    private readonly EngineFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    private async Task<(string Source, BackupInfo Full, BackupInfo Incremental)> BackUpFidelityTreeAsync(string collection, string passphrase = "")
    {
        var source = _fx.Temp.Combine("src");
        FidelityTree.Build(source);
        await _fx.NewCollectionAsync(collection, passphrase, targets: EngineFixture.Tree("tree", source));
        var pass = passphrase.Length == 0 ? null : passphrase;
        var full = await _fx.BackupAsync(collection, passphrase: pass);
        File.WriteAllText(Path.Combine(source, "links", "added-later.txt"), "added by the incremental");
        var incremental = await _fx.BackupAsync(collection, BackupType.Incremental, pass);
        return (source, full, incremental);
    }

    [Fact]
    public async Task A_drill_of_the_latest_backup_passes_with_every_path_and_byte_compared_and_leaves_nothing()
    {
        var (source, _, incremental) = await BackUpFidelityTreeAsync("fidelity");
        var folders = DrillSupport.ScratchFolders();
        var before = DateTimeOffset.UtcNow;
        var outcome = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("fidelity")));
        var after = DateTimeOffset.UtcNow;

        var result = DrillSupport.AssertPassed(outcome, before, after, incremental.EndTime);
        Assert.Equal((incremental.Id, "tree", "FileTree", "fidelity"), (result.BackupId, result.Target, result.Kind, result.Collection));
        Assert.Equal($"{CountEntries(source)} restored, none missing or extra", result.Check("paths").Observed);
        var files = CountFiles(source);
        Assert.Equal($"{files} identical", result.Check("contents").Observed);
        Assert.StartsWith($"{files} files, ", result.Check("contents").Expected);
        Assert.Equal("identical", result.Check("root directory").Observed);
        Assert.Equal("owners", result.Check("owners").Name); // compared: the tests run as root
        Assert.Equal(result.Check("index against").Expected, result.Check("index against").Observed[("index: ".Length)..]);
        Assert.Empty(DrillSupport.ScratchFolders().Except(folders)); // other tests' drills may run beside this one

        // The evidence, read back, is the result; Get-Backup shows the drill.
        var recorded = Assert.Single(await _fx.RecordedAsync("fidelity"));
        AssertSameResult(result, recorded);
        var listed = (await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository, Collection = "fidelity" })).ToDictionary(b => b.Id);
        Assert.Equal(DrillStatus.Passed, listed[incremental.Id].LastDrillStatus);
        Assert.InRange(listed[incremental.Id].LastDrillTime!.Value, before, after);
        Assert.Null(listed.Values.Single(b => b.Id != incremental.Id).LastDrillStatus);
    }

    [Fact]
    public async Task A_flipped_byte_fails_the_drill_as_corrupt_and_the_folder_is_removed()
    {
        var (_, full, _) = await BackUpFidelityTreeAsync("flipped");
        var pack = Directory.EnumerateFiles(Path.Combine(_fx.Repository, "collections", "flipped", "backups", full.Id), "pack-0*", SearchOption.AllDirectories).Single();
        var bytes = await File.ReadAllBytesAsync(pack);
        bytes[bytes.Length / 2] ^= 0x10;
        await File.WriteAllBytesAsync(pack, bytes);
        var folders = DrillSupport.ScratchFolders();

        // The full itself: all of pack-0 is then restored (an incremental's drill may need only some of its zstd frames).
        var outcome = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("flipped") { Id = full.Id }));
        Assert.Equal(DrillStatus.Failed, outcome.Result.Status);
        Assert.Equal("ArtifactCorrupt", outcome.Result.ErrorId);
        Assert.Equal("ArtifactCorrupt", outcome.Error!.ErrorId);
        Assert.Equal(outcome.Error.Message, outcome.Result.Reason);
        Assert.Contains(full.Id, outcome.Result.Reason);
        Assert.Empty(DrillSupport.ScratchFolders().Except(folders)); // other tests' drills may run beside this one
        Assert.Equal(DrillStatus.Failed, Assert.Single(await _fx.RecordedAsync("flipped")).Status);
    }

    [Fact]
    public async Task A_line_dropped_from_a_resealed_index_passes_every_repository_check_but_not_the_drill()
    {
        var source = _fx.Temp.Combine("src");
        var tree = new TreeBuilder(source);
        for (var i = 0; i < 20; i++) tree.RandomFile($"d{i % 4}/f{i}.txt", 3_000, i, compressible: true);
        tree.TouchDirectories();
        await _fx.NewCollectionAsync("dropped", targets: EngineFixture.Tree("tree", source));
        var backup = await _fx.BackupAsync("dropped");
        ArtifactTamper.Rewrite(_fx.Repository, "dropped", backup.Id, "tree", "index",
            plain => ArtifactTamper.DropLine(plain, line => line.Contains("\"path\":\"d1/f13.txt\"", StringComparison.Ordinal)));
        Assert.All(await _fx.VerifyAsync(backup.Id), f => Assert.Equal(VerificationStatus.Ok, f.Status)); // Test-Backup sees nothing wrong
        var folders = DrillSupport.ScratchFolders();

        var outcome = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("dropped")));
        Assert.Equal(DrillStatus.Failed, outcome.Result.Status);
        Assert.Equal("RestoreDrillFailed", outcome.Error!.ErrorId);
        var check = outcome.Result.Check("index against the backup's record");
        Assert.False(check.Passed);
        Assert.Equal("24 entries, 20 files, 60000 bytes", check.Expected);
        Assert.Equal("index: 23 entries, 19 files, 57000 bytes", check.Observed);
        Assert.Contains("index against the backup's record: expected 24 entries", outcome.Result.Reason);
        // The restore followed the tampered index: the tree it wrote matches that index, only the record tells.
        Assert.Equal("23 restored, none missing or extra", outcome.Result.Check("paths").Observed);
        Assert.Equal(1, outcome.Result.ChecksFailed);
        Assert.Empty(DrillSupport.ScratchFolders().Except(folders)); // other tests' drills may run beside this one
    }

    [Fact]
    public async Task Cancelled_mid_restore_the_drill_stops_removes_its_folder_and_records_nothing()
    {
        var source = _fx.Temp.Combine("src");
        var tree = new TreeBuilder(source);
        for (var i = 0; i < 40; i++) tree.RandomFile($"big{i}.bin", 1 << 20, i);
        tree.TouchDirectories();
        await _fx.NewCollectionAsync("cancelled", targets: EngineFixture.Tree("tree", source));
        await _fx.BackupAsync("cancelled");
        var folders = DrillSupport.ScratchFolders();
        using var cts = new CancellationTokenSource();
        var sawScratch = false;
        var progress = new SyncProgress(p =>
        {
            // The first byte progress of the restore itself: the scratch folder exists and is being filled.
            if (p.Activity.StartsWith("Restoring", StringComparison.Ordinal) && p.BytesDone > 0 && !cts.IsCancellationRequested)
            {
                sawScratch = DrillSupport.ScratchFolders().Except(folders).Any();
                cts.Cancel();
            }
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _fx.DrillAsync(new RestoreDrillRequest("cancelled"), progress, cts.Token));
        Assert.True(sawScratch, "the cancellation did not come while the scratch folder existed");
        Assert.Empty(DrillSupport.ScratchFolders().Except(folders)); // other tests' drills may run beside this one
        Assert.Empty(await _fx.RecordedAsync("cancelled"));
    }

    [Fact]
    public async Task An_encrypted_collection_needs_the_passphrase_and_KeepRestored_leaves_the_tree()
    {
        var (source, _, incremental) = await BackUpFidelityTreeAsync("vault", "drill passphrase");
        var folders = DrillSupport.ScratchFolders();
        var saved = Environment.GetEnvironmentVariable(EngineOptions.PassphraseVariable);
        Environment.SetEnvironmentVariable(EngineOptions.PassphraseVariable, null);
        try
        {
            var refused = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("vault")));
            Assert.Equal("PassphraseRequired", refused.Error!.ErrorId);
            Assert.Equal(DrillStatus.Failed, refused.Result.Status);
            Assert.Empty(DrillSupport.ScratchFolders().Except(folders)); // other tests' drills may run beside this one
        }
        finally
        {
            Environment.SetEnvironmentVariable(EngineOptions.PassphraseVariable, saved);
        }

        var outcome = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("vault") { Passphrase = "drill passphrase", KeepRestored = true }));
        Assert.True(outcome.Result.Status == DrillStatus.Passed, outcome.Result.Reason);
        Assert.True(outcome.Result.Kept);
        Assert.Equal(incremental.Id, outcome.Result.BackupId);
        var kept = outcome.Result.RestoredTo;
        try
        {
            Assert.True(File.Exists(Path.Combine(kept, "links", "added-later.txt")));
            Assert.Equal(CountFiles(source), CountFiles(kept));
        }
        finally
        {
            new TempDirectoryOf(Path.GetDirectoryName(kept)!).Dispose();
        }
        Assert.Empty(DrillSupport.ScratchFolders().Except(folders)); // other tests' drills may run beside this one
    }

    [Fact]
    public async Task Objectives_fail_a_drill_that_misses_them_with_their_own_ErrorId()
    {
        var source = _fx.Temp.Combine("src");
        new TreeBuilder(source).File("a.txt", "a").TouchDirectories();
        await _fx.NewCollectionAsync("objectives", targets: EngineFixture.Tree("tree", source));
        var backup = await _fx.BackupAsync("objectives");

        var missed = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("objectives") { MaxRto = TimeSpan.FromTicks(1), MaxRpo = TimeSpan.FromDays(1) }));
        Assert.Equal(DrillStatus.Failed, missed.Result.Status);
        Assert.Equal("RestoreDrillObjectiveMissed", missed.Error!.ErrorId);
        Assert.Equal(0, missed.Result.ChecksFailed);
        Assert.Contains("more than the objective -MaxRto", missed.Result.Reason);
        Assert.DoesNotContain("-MaxRpo", missed.Result.Reason);

        await Task.Delay(1200);
        var stale = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("objectives") { MaxRto = TimeSpan.FromHours(1), MaxRpo = TimeSpan.FromMilliseconds(500) }));
        Assert.Equal("RestoreDrillObjectiveMissed", stale.Error!.ErrorId);
        Assert.Contains("more than the objective -MaxRpo", stale.Result.Reason);

        var met = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("objectives") { Id = backup.Id, MaxRto = TimeSpan.FromHours(1), MaxRpo = TimeSpan.FromHours(1) }));
        Assert.Null(met.Error);
        Assert.Equal(TimeSpan.FromHours(1), met.Result.MaxRto);
        var recorded = await _fx.RecordedAsync("objectives");
        Assert.Equal([DrillStatus.Failed, DrillStatus.Failed, DrillStatus.Passed], recorded.Select(r => r.Status));
        Assert.Equal(TimeSpan.FromMilliseconds(500), recorded[1].MaxRpo);
        Assert.Single(await _fx.RecordedAsync("objectives", latest: true));
    }

    private static void AssertSameResult(RestoreDrillResult expected, RestoreDrillResult actual)
    {
        Assert.Equal((expected.DrillId, expected.Collection, expected.Target, expected.Kind, expected.BackupId, expected.Status, expected.Reason, expected.ErrorId),
            (actual.DrillId, actual.Collection, actual.Target, actual.Kind, actual.BackupId, actual.Status, actual.Reason, actual.ErrorId));
        Assert.Equal(expected.StartTime, actual.StartTime);
        Assert.Equal(expected.RestoredPointInTime, actual.RestoredPointInTime);
        Assert.InRange((expected.RestoreDuration - actual.RestoreDuration).Duration(), TimeSpan.Zero, TimeSpan.FromTicks(10));
        Assert.InRange((expected.DataLoss!.Value - actual.DataLoss!.Value).Duration(), TimeSpan.Zero, TimeSpan.FromTicks(10));
        Assert.Equal((expected.ChecksPassed, expected.ChecksFailed, expected.RestoredTo, expected.Kept), (actual.ChecksPassed, actual.ChecksFailed, actual.RestoredTo, actual.Kept));
        Assert.Equal(expected.CheckList.Select(c => (c.Name, c.Expected, c.Observed, c.Passed)), actual.CheckList.Select(c => (c.Name, c.Expected, c.Observed, c.Passed)));
    }

    /// <summary>Regular files, a hard-link group counted once (the index lists its other paths as hard links).</summary>
    private static int CountFiles(string root) => RawTreeWalker.Walk(root).Values.Count(e => e.Type == "file" && (e.LinkGroup == null || e.LinkGroup == e.Path));

    /// <summary>Every path below the root.</summary>
    [Fact]
    public async Task Each_target_is_drilled_from_the_newest_backup_holding_it_and_point_in_time_looks_no_later()
    {
        var a = new TreeBuilder(_fx.Temp.Combine("a")).File("a.txt", "alpha");
        var b = new TreeBuilder(_fx.Temp.Combine("b")).File("b.txt", "beta");
        await _fx.NewCollectionAsync("two", targets: [EngineFixture.Tree("a", a.Root), EngineFixture.Tree("b", b.Root)]);
        var first = await _fx.BackupAsync("two");
        await Task.Delay(1100); // the next backups end in a later second than the first
        Directory.Delete(b.Root, recursive: true); // target b fails from here on: a partial backup
        async Task<BackupInfo> PartialAsync()
        {
            var run = await _fx.Engine.InvokeBackupAsync(new BackupRequest("two") { Repository = _fx.Repository });
            Assert.Equal("b", Assert.Single(run.Failures).Target);
            Assert.Equal(BackupStatus.Partial, run.Backup.Status);
            return run.Backup;
        }
        var second = await PartialAsync();
        var third = await PartialAsync();

        static Dictionary<string, string> Chosen(RestoreDrillPlan plan) => plan.Steps.ToDictionary(s => s.Target, s => s.BackupId);
        var latest = Assert.Single(await _fx.Engine.PlanRestoreDrillAsync(new RestoreDrillRequest("two") { Repository = _fx.Repository }));
        Assert.Equal(new Dictionary<string, string> { ["a"] = third.Id, ["b"] = first.Id }, Chosen(latest));
        var before = Assert.Single(await _fx.Engine.PlanRestoreDrillAsync(new RestoreDrillRequest("two") { Repository = _fx.Repository, PointInTime = first.EndTime }));
        Assert.Equal(new Dictionary<string, string> { ["a"] = first.Id, ["b"] = first.Id }, Chosen(before));
        var given = Assert.Single(await _fx.Engine.PlanRestoreDrillAsync(new RestoreDrillRequest("two") { Repository = _fx.Repository, Id = second.Id }));
        Assert.Equal(new Dictionary<string, string> { ["a"] = second.Id, ["b"] = second.Id }, Chosen(given));
    }

    private static int CountEntries(string root) => RawTreeWalker.Walk(root).Count - 1;

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool, too late to cancel mid-restore).</summary>
    private sealed class SyncProgress(Action<BackupProgress> report) : IProgress<BackupProgress>
    {
        public void Report(BackupProgress value) => report(value);
    }

    private sealed class TempDirectoryOf(string path) : IDisposable
    {
        public void Dispose()
        {
            System.Diagnostics.Process.Start("rm", ["-rf", "--", path])!.WaitForExit();
        }
    }
}
