using PsBackup.Engine.Errors;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Repository;
using PsBackup.Engine.Storage;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Monitoring;

/// <summary>Every run leaves one record in its collection's journal, however it ends; Get-BackupRun reads them back; pruning keeps the counters.</summary>
public sealed class RunJournalTests : IDisposable
{
    private readonly EngineFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    private Task<BackupRunRecords> RunsAsync(string? collection = null, bool failed = false, int? last = null) =>
        _fx.Engine.GetRunsAsync(new RunQuery { Repository = _fx.Repository, Collection = collection, Failed = failed, Last = last });

    [Fact]
    public async Task Succeeded_partial_failed_and_cancelled_backups_are_each_recorded_with_their_ErrorId_and_bytes()
    {
        var a = new TreeBuilder(_fx.Temp.Combine("a")).File("x.txt", new string('x', 5000));
        var b = new TreeBuilder(_fx.Temp.Combine("b")).File("y.txt", "y");
        await _fx.NewCollectionAsync("app", targets: [EngineFixture.Tree("a", a.Root), EngineFixture.Tree("b", b.Root)]);

        var full = await _fx.BackupAsync("app");
        Directory.Move(b.Root, b.Root + ".gone");
        var partial = await _fx.Engine.InvokeBackupAsync(new BackupRequest("app") { Repository = _fx.Repository });
        Assert.Single(partial.Failures);
        Directory.Move(a.Root, a.Root + ".gone");
        var error = await Assert.ThrowsAsync<BackupFailedException>(() => _fx.Engine.InvokeBackupAsync(new BackupRequest("app") { Repository = _fx.Repository }));
        using (var cancelled = new CancellationTokenSource())
        {
            await cancelled.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _fx.Engine.InvokeBackupAsync(new BackupRequest("app") { Repository = _fx.Repository }, null, cancelled.Token));
        }

        var found = await RunsAsync("app");
        Assert.Empty(found.Damaged);
        Assert.Equal([RunOutcome.Succeeded, RunOutcome.Partial, RunOutcome.Failed, RunOutcome.Cancelled], found.Runs.Select(r => r.Outcome));
        Assert.All(found.Runs, r => Assert.Equal(RunOperation.Backup, r.Operation));
        Assert.All(found.Runs, r => Assert.True(r.EndTime >= r.StartTime && r.Duration >= TimeSpan.Zero));
        var ok = found.Runs[0];
        Assert.Equal(full.Id, ok.BackupId);
        Assert.Equal(full.SizeBytes, ok.SizeBytes);
        Assert.Equal(full.StoredBytes, ok.StoredBytes);
        Assert.Null(ok.ErrorId);
        Assert.Equal(partial.Backup.Id, found.Runs[1].BackupId);
        Assert.Equal("TargetUnavailable", found.Runs[1].ErrorId);
        Assert.Equal((2, 1), (found.Runs[1].ItemCount, found.Runs[1].FailedItemCount));
        Assert.Equal(error.ErrorId, found.Runs[2].ErrorId);
        Assert.Null(found.Runs[2].BackupId); // a failed backup leaves no backup, only this record
        Assert.Equal("OperationCancelled", found.Runs[3].ErrorId);

        Assert.Equal([RunOutcome.Partial, RunOutcome.Failed, RunOutcome.Cancelled], (await RunsAsync("app", failed: true)).Runs.Select(r => r.Outcome));
        Assert.Equal([RunOutcome.Failed, RunOutcome.Cancelled], (await RunsAsync("a*", last: 2)).Runs.Select(r => r.Outcome));
        await Assert.ThrowsAsync<CollectionNotFoundException>(() => RunsAsync("nope"));
        await Assert.ThrowsAsync<InvalidBackupRequestException>(() => RunsAsync("app", last: 0));
    }

    [Fact]
    public async Task Verify_copy_and_retention_runs_are_recorded_and_a_corrupt_artifact_is_a_failed_verify()
    {
        var a = new TreeBuilder(_fx.Temp.Combine("a")).File("x.txt", "hello");
        await _fx.NewCollectionAsync("app", targets: EngineFixture.Tree("a", a.Root));
        var first = await _fx.BackupAsync("app");
        var second = await _fx.BackupAsync("app");
        Assert.All(await _fx.VerifyAsync(first.Id), f => Assert.Equal(VerificationStatus.Ok, f.Status));

        var artifact = Directory.EnumerateFiles(Path.Combine(_fx.Repository, "collections", "app", "backups", second.Id), "*", SearchOption.AllDirectories)
            .First(f => !f.EndsWith(".json", StringComparison.Ordinal));
        var bytes = File.ReadAllBytes(artifact);
        bytes[^1] ^= 0xff;
        File.WriteAllBytes(artifact, bytes);
        Assert.Contains(await _fx.VerifyAsync(second.Id), f => f.Status != VerificationStatus.Ok);

        var destination = _fx.Temp.Combine("dr");
        await foreach (var _ in _fx.Engine.CopyBackupAsync(new CopyRequest("app", destination) { Source = _fx.Repository, Id = first.Id })) { }
        var request = new RetentionRequest("app") { Repository = _fx.Repository, Policy = new RetentionPolicy { KeepLast = 1 } };
        var plan = await _fx.Engine.PlanRetentionAsync(request);
        var approved = plan.Where(d => d.Action == RetentionAction.Delete).Select(d => d.BackupId).ToHashSet();
        Assert.NotEmpty(approved);
        await foreach (var _ in _fx.Engine.ApplyRetentionAsync(request, approved)) { }

        var runs = (await RunsAsync("app")).Runs.Where(r => r.Operation != RunOperation.Backup).ToList();
        Assert.Equal([RunOperation.Verify, RunOperation.Verify, RunOperation.Copy, RunOperation.Retention], runs.Select(r => r.Operation));
        Assert.Equal([RunOutcome.Succeeded, RunOutcome.Failed, RunOutcome.Succeeded, RunOutcome.Succeeded], runs.Select(r => r.Outcome));
        Assert.Equal(first.Id, runs[0].BackupId);
        Assert.Equal("BackupVerificationFailed", runs[1].ErrorId);
        Assert.True(runs[1].FailedItemCount >= 1);
        Assert.Equal(destination, runs[2].Target);
        Assert.True(runs[2].SizeBytes > 0);
        Assert.Equal(approved.Count, runs[3].ItemCount);
    }

    [Fact]
    public async Task Pruning_removes_old_records_but_the_counters_never_go_down()
    {
        var a = new TreeBuilder(_fx.Temp.Combine("a")).File("x.txt", "hello");
        await _fx.NewCollectionAsync("app", targets: EngineFixture.Tree("a", a.Root));
        using var repository = await BackupRepository.OpenAsync(new LocalObjectStore(_fx.Repository), create: false, CancellationToken.None);
        var now = DateTimeOffset.UtcNow;
        foreach (var (daysAgo, outcome) in new[] { (200, RunOutcome.Failed), (120, RunOutcome.Succeeded), (100, RunOutcome.Succeeded), (1, RunOutcome.Succeeded) })
            await RunJournal.AppendAsync(repository.Store, new RunRecord
            {
                Collection = "app", Operation = RunOperation.Backup, Outcome = outcome,
                Started = now.AddDays(-daysAgo).AddMinutes(-1), Ended = now.AddDays(-daysAgo), DurationSeconds = 60,
            }, CancellationToken.None);
        var before = await RunJournal.CountAsync(repository, "app", CancellationToken.None);

        Assert.Equal(3, await RunJournal.PruneAsync(repository, "app", TimeSpan.FromDays(90), now, CancellationToken.None));
        Assert.Equal(0, await RunJournal.PruneAsync(repository, "app", TimeSpan.FromDays(90), now, CancellationToken.None));
        var after = await RunJournal.CountAsync(repository, "app", CancellationToken.None);
        Assert.Equal((3, 1), (before.Count(RunOperation.Backup, RunOutcome.Succeeded), before.Count(RunOperation.Backup, RunOutcome.Failed)));
        Assert.Equal((3, 1), (after.Count(RunOperation.Backup, RunOutcome.Succeeded), after.Count(RunOperation.Backup, RunOutcome.Failed)));
        Assert.Single((await RunsAsync("app")).Runs);

        // A real backup prunes by itself (90 days by default) and counts on.
        await _fx.BackupAsync("app");
        Assert.Equal(5, (await RunJournal.CountAsync(repository, "app", CancellationToken.None)).All.Sum(t => t.Count));
        Assert.Single(Directory.GetFiles(Path.Combine(_fx.Repository, "collections", "app", "run-totals")));
    }

    [Fact]
    public async Task A_tampered_record_is_reported_not_trusted_and_secrets_never_enter_a_record()
    {
        await _fx.NewCollectionAsync("app", targets: EngineFixture.Tree("a", _fx.Temp.Combine("missing")));
        await Assert.ThrowsAnyAsync<PsBackupException>(() => _fx.Engine.InvokeBackupAsync(new BackupRequest("app") { Repository = _fx.Repository }));
        using var repository = await BackupRepository.OpenAsync(new LocalObjectStore(_fx.Repository), create: false, CancellationToken.None);
        await RunJournal.AppendAsync(repository.Store, new RunRecord
        {
            Collection = "app", Operation = RunOperation.Copy, Outcome = RunOutcome.Failed, Started = DateTimeOffset.UtcNow, Ended = DateTimeOffset.UtcNow,
            Message = "could not reach postgresql://admin:hunter2@db/x", Target = "s3://key:secretvalue@bucket",
        }, CancellationToken.None);
        var files = Directory.GetFiles(Path.Combine(_fx.Repository, "collections", "app", "runs"));
        Assert.Equal(2, files.Length);
        Assert.All(files, f => Assert.DoesNotContain("hunter2", File.ReadAllText(f)));
        Assert.All(files, f => Assert.DoesNotContain("secretvalue", File.ReadAllText(f)));

        Tamper.Edit(files.Order().First(), json => json["errorId"] = "Forged", reseal: false);
        var found = await RunsAsync("app");
        Assert.Single(found.Runs);
        Assert.IsType<DocumentCorruptException>(Assert.Single(found.Damaged));
    }
}
