using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Providers;
using PsBackup.Engine.Providers.PostgreSql.Cluster;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.PostgreSqlCluster;

/// <summary>
/// WAL that travels: Copy-Backup carries the WAL its backups need (or all of it, or only what is
/// new) local → S3 → local, and archive_command writes a disaster-recovery copy as it archives.
/// Every copy is recovered to points in time, exact rows.
/// </summary>
public sealed class WalCopyTests : IDisposable
{
    private readonly EngineFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    private async Task<List<CopyResult>> CopyAsync(RepositoryAddress source, RepositoryAddress destination, string collection, bool all = false, bool logOnly = false)
    {
        var results = new List<CopyResult>();
        await foreach (var outcome in _fx.Engine.CopyBackupAsync(new CopyRequest(collection, destination) { Source = source, AllArchivedLog = all, ArchivedLogOnly = logOnly }))
        {
            Assert.True(outcome.Error == null, $"{outcome.Result}: {outcome.Error?.ErrorId}: {outcome.Error?.Message}");
            results.Add(outcome.Result);
        }
        return results;
    }

    private static List<CopyResult> Wal(List<CopyResult> results) => [.. results.Where(r => r.LogRange != null)];

    [Fact]
    public async Task A_point_in_time_collection_copied_local_to_S3_to_local_recovers_three_points_from_the_copy()
    {
        using var s = await ClusterScenario.StartAsync(_fx, "pitr", walSegmentMegabytes: 1);
        await s.InsertAsync(0);
        await s.Primary.SwitchWalAndWaitArchivedAsync(); // WAL before the base backup: only -AllArchivedLog copies it
        var full = await _fx.BackupAsync("pitr");
        var points = new Dictionary<int, DateTime>();
        for (var id = 1; id <= 6; id++)
        {
            points[id] = await s.InsertAsync(id);
            if (id % 2 == 0) await s.Primary.SwitchWalAndWaitArchivedAsync();
        }
        var incremental = await _fx.BackupAsync("pitr", BackupType.Incremental);
        points[7] = await s.InsertAsync(7);
        await s.CommitAsync(); // a commit after the last point: recovery stops there
        await s.Primary.SwitchWalAndWaitArchivedAsync();

        var s3 = await S3Repository.NewAsync();
        var toS3 = await CopyAsync(_fx.Repository, s3, "pitr");
        Assert.Equal([full.Id, incremental.Id], toS3.Where(r => r.LogRange == null).Select(r => r.BackupId));
        Assert.All(toS3, r => Assert.Equal(CopyStatus.Copied, r.Status));
        Assert.NotEmpty(Wal(toS3));
        var dr = _fx.Temp.Combine("dr");
        var toLocal = await CopyAsync(s3, dr, "pitr");
        Assert.All(toLocal, r => Assert.Equal(CopyStatus.Copied, r.Status));
        Assert.Equal(Wal(toS3).Sum(r => r.ArtifactsCopied), Wal(toLocal).Sum(r => r.ArtifactsCopied));

        // Only what the copied backups need: nothing from before the base backup's start.
        var start = WalFileName.SegmentOf(Lsn.Parse((await s.StateAsync(full.Id)).StartLsn), 1 << 20);
        var older = s.ArchivedNames().Where(n => WalPosition.Of(n, 1 << 20) < start).ToList();
        Assert.NotEmpty(older);
        Assert.Equal(s.ArchivedNames().Except(older), s.ArchivedNames(dr));

        // The copy's recovery window is the source's, and three points in time recover from it exactly.
        var source = await s.WindowAsync();
        var copy = await s.WindowAsync(dr);
        Assert.Equal((source.Earliest, source.Latest, source.WalSegmentCount - older.Count(WalFileName.IsSegment)), (copy.Earliest, copy.Latest, copy.WalSegmentCount));
        Assert.Null(copy.MissingSegment);
        Assert.Equal([0, 1, 2], await s.RestoreAndReadAsync(dr, incremental.Id, "at2", new RecoveryTarget { Time = points[2] }));
        Assert.Equal([0, 1, 2, 3, 4, 5], await s.RestoreAndReadAsync(dr, incremental.Id, "at5", new RecoveryTarget { Time = points[5] }));
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7], await s.RestoreAndReadAsync(dr, incremental.Id, "at7", new RecoveryTarget { Time = points[7] }));

        // Again: everything is there.
        var again = await CopyAsync(s3, dr, "pitr");
        Assert.All(again, r => Assert.Equal(CopyStatus.AlreadyPresent, r.Status));
        Assert.Equal(0, again.Sum(r => r.ArtifactsCopied));

        // Resumed: a copy that died after one file's data (no entry yet) and before another file.
        var names = s.ArchivedNames(dr).Where(WalFileName.IsSegment).ToList();
        var (halfway, never) = (names[^3], names[^2]);
        File.Delete(Path.Combine(s.WalFolder(dr), "00000001", halfway + ".json"));
        foreach (var file in Directory.GetFiles(Path.Combine(s.WalFolder(dr), "00000001"), never + ".*")) File.Delete(file);
        Assert.Equal(halfway, (await s.WindowAsync(dr)).MissingSegment); // without its entry, a data object is not archived
        var resumed = Wal(await CopyAsync(s3, dr, "pitr"));
        Assert.Equal(2, resumed.Sum(r => r.ArtifactsCopied));
        Assert.Equal(s.ArchivedNames().Except(older), s.ArchivedNames(dr));
        Assert.Equal(copy.Latest, (await s.WindowAsync(dr)).Latest);

        // The whole archive with -AllArchivedLog.
        var whole = Wal(await CopyAsync(_fx.Repository, dr, "pitr", all: true));
        Assert.Equal(older.Count, whole.Sum(r => r.ArtifactsCopied));
        Assert.Equal(s.ArchivedNames(), s.ArchivedNames(dr));

        // Catching up: only the new WAL moves, and the copy recovers to a moment after the last copy.
        points[8] = await s.InsertAsync(8);
        await s.CommitAsync();
        await s.Primary.SwitchWalAndWaitArchivedAsync();
        var catchUp = await CopyAsync(_fx.Repository, dr, "pitr", logOnly: true);
        Assert.All(catchUp, r => Assert.NotNull(r.LogRange));
        Assert.True(catchUp.Sum(r => r.ArtifactsCopied) >= 1);
        Assert.True((await s.WindowAsync(dr)).Latest >= new DateTimeOffset(points[8], TimeSpan.Zero).AddSeconds(-1));
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7, 8], await s.RestoreAndReadAsync(dr, incremental.Id, "at8", new RecoveryTarget { Time = points[8] }));
    }

    [Fact]
    public async Task Archive_command_writing_to_a_second_repository_keeps_the_DR_copy_current()
    {
        var dr = _fx.Temp.Combine("dr-repo");
        ThrowawayCluster.ShareWithPostgres(dr);
        using var s = await ClusterScenario.StartAsync(_fx, "dual", walSegmentMegabytes: 1, copies: dr);
        var full = await _fx.BackupAsync("dual");
        var copied = await CopyAsync(_fx.Repository, dr, "dual"); // the base backup; its WAL is already there
        Assert.Equal(CopyStatus.Copied, copied.Single(r => r.LogRange == null).Status);
        Assert.All(Wal(copied), r => Assert.Equal(CopyStatus.AlreadyPresent, r.Status));

        // archive_command returns 0 only once both repositories have the segment: the DR copy is as current as the primary's.
        var point = await s.InsertAsync(1);
        await s.InsertAsync(2);
        await s.Primary.SwitchWalAndWaitArchivedAsync();
        var (primary, copy) = (await s.WindowAsync(), await s.WindowAsync(dr));
        Assert.Equal(primary.Latest, copy.Latest);
        Assert.True(copy.Latest >= new DateTimeOffset(point, TimeSpan.Zero));
        Assert.Equal(s.ArchivedNames(), s.ArchivedNames(dr));
        Assert.Equal([1], await s.RestoreAndReadAsync(dr, full.Id, "dr-point", new RecoveryTarget { Time = point }));
    }

    [Fact]
    public async Task A_copy_repository_that_fails_asks_for_a_retry_only_within_the_grace_period_and_a_catch_up_copy_fills_the_gap()
    {
        await _fx.NewCollectionAsync("g", targets: new PostgreSqlClusterTarget { Name = "pg", Host = "127.0.0.1", Port = 5432 });
        var blocker = _fx.Temp.Combine("not-a-directory");
        await File.WriteAllTextAsync(blocker, "x");
        var broken = Path.Combine(blocker, "repo");
        var dr = _fx.Temp.Combine("dr");
        string Segment(int n) => WalFileName.Segment(1, (ulong)n, 16 << 20);
        string WalFile(int n)
        {
            var path = _fx.Temp.Combine(Segment(n));
            var bytes = new byte[1 << 20];
            new Random(n).NextBytes(bytes);
            File.WriteAllBytes(path, bytes);
            return path;
        }
        Task<ArchiveLogResult> ArchiveAsync(int n, RepositoryAddress copy, TimeSpan grace, TimeSpan? timeout = null) =>
            _fx.Engine.ArchiveLogAsync(new ArchiveLogRequest("g", WalFile(n), Segment(n))
            {
                Repository = _fx.Repository, Copies = [copy], CopyGrace = grace, CopyTimeout = timeout ?? TimeSpan.FromSeconds(30),
            });

        // A fresh file: the failed copy asks PostgreSQL to retry (exit code 1); the primary has it anyway.
        var fresh = await ArchiveAsync(1, broken, TimeSpan.FromMinutes(5));
        Assert.True(fresh.Stored);
        Assert.True(fresh.RetryLater);
        Assert.Equal(ArchiveCopyStatus.RetryLater, Assert.Single(fresh.Copies).Status);
        Assert.NotNull(fresh.Copies[0].Error);
        // Past the grace period: skipped, archiving goes on.
        var late = await ArchiveAsync(2, broken, TimeSpan.Zero);
        Assert.False(late.RetryLater);
        Assert.Equal(ArchiveCopyStatus.Skipped, late.Copies[0].Status);

        // A repository that never answers costs at most the copy timeout.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var accepted = new List<TcpClient>();
        _ = Task.Run(async () => { while (true) accepted.Add(await silent.AcceptTcpClientAsync()); });
        var hanging = new RepositoryAddress("s3://bucket/repo", S3Repository.Options() with { Endpoint = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}" });
        var clock = Stopwatch.StartNew();
        var timedOut = await ArchiveAsync(3, hanging, TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(2));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed}");
        Assert.Equal(ArchiveCopyStatus.RetryLater, timedOut.Copies[0].Status);
        Assert.Contains("within 2 s", timedOut.Copies[0].Error!.Message);

        // The DR repository is back: the next file reaches it, and a catch-up copy fills the gap it missed.
        var working = await ArchiveAsync(4, dr, TimeSpan.FromMinutes(5));
        Assert.Equal(ArchiveCopyStatus.Stored, working.Copies[0].Status);
        var catchUp = new List<CopyResult>();
        await foreach (var outcome in _fx.Engine.CopyBackupAsync(new CopyRequest("g", dr) { Source = _fx.Repository, ArchivedLogOnly = true }))
            catchUp.Add(outcome.Result);
        Assert.Equal(3, catchUp.Sum(r => r.ArtifactsCopied));
        Assert.Equal(1, catchUp.Sum(r => r.ArtifactsSkipped));
        foreach (var n in new[] { 1, 2, 3, 4 })
            Assert.True(File.Exists(Path.Combine(dr, "collections", "g", "wal", "00000001", Segment(n) + ".json")));

        // psbackup-cli: exit code 1 while within the grace period, 0 once past it (with a warning naming the catch-up).
        async Task<(int Code, string Error)> CliAsync(int n, string grace)
        {
            using var process = CliProcess.Start("archive-wal", "--repository", _fx.Repository, "--repository", broken, "--copy-grace", grace, "--collection", "g", WalFile(n), Segment(n));
            var error = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, error);
        }
        var retry = await CliAsync(5, "300");
        Assert.Equal(1, retry.Code);
        Assert.Contains("PostgreSQL will retry", retry.Error);
        var skipped = await CliAsync(5, "0");
        Assert.Equal(0, skipped.Code);
        Assert.Contains("archived-log-only", skipped.Error);
        foreach (var client in accepted) client.Dispose();
    }

    [Fact]
    public async Task Encrypted_WAL_is_copied_as_stored_without_the_passphrase_and_a_damaged_source_file_is_not_committed_with_it()
    {
        await _fx.NewCollectionAsync("enc", passphrase: "wal secret", targets: new PostgreSqlClusterTarget { Name = "pg" });
        var names = new List<string>();
        for (var n = 1; n <= 4; n++)
        {
            var name = WalFileName.Segment(1, (ulong)n, 16 << 20);
            var path = _fx.Temp.Combine(name);
            var bytes = new byte[1 << 19];
            new Random(n).NextBytes(bytes);
            await File.WriteAllBytesAsync(path, bytes);
            Assert.True((await _fx.Engine.ArchiveLogAsync(new ArchiveLogRequest("enc", path, name) { Repository = _fx.Repository, Passphrase = "wal secret" })).Stored);
            names.Add(name);
        }
        async Task<List<CopyOutcome>> CopyAsync(string destination, string? passphrase)
        {
            var outcomes = new List<CopyOutcome>();
            await foreach (var outcome in _fx.Engine.CopyBackupAsync(new CopyRequest("enc", destination) { Source = _fx.Repository, ArchivedLogOnly = true, Passphrase = passphrase }))
                outcomes.Add(outcome);
            return outcomes;
        }
        var folder = Path.Combine(_fx.Repository, "collections", "enc", "wal", "00000001");

        // No passphrase: the stored bytes travel verbatim (compared at the destination), entries byte for byte.
        var plain = _fx.Temp.Combine("no-passphrase");
        var copied = Assert.Single(await CopyAsync(plain, null));
        Assert.Equal((CopyStatus.Copied, 4, $"{names[0]}..{names[^1]}"), (copied.Result.Status, copied.Result.ArtifactsCopied, copied.Result.LogRange));
        foreach (var file in Directory.GetFiles(folder))
            Assert.Equal(await File.ReadAllBytesAsync(file), await File.ReadAllBytesAsync(Path.Combine(plain, "collections", "enc", "wal", "00000001", Path.GetFileName(file))));

        // With the passphrase the content is checked too: a source file damaged at rest fails on its own and is not committed.
        var data = Directory.GetFiles(folder, names[2] + ".*.aes").Single();
        var bytesAtRest = await File.ReadAllBytesAsync(data);
        bytesAtRest[100] ^= 0x01;
        await File.WriteAllBytesAsync(data, bytesAtRest);
        var checkedCopy = _fx.Temp.Combine("with-passphrase");
        var outcomes = await CopyAsync(checkedCopy, "wal secret");
        Assert.Equal([CopyStatus.Copied, CopyStatus.Failed, CopyStatus.Copied], outcomes.Select(o => o.Result.Status));
        Assert.Equal(names[2], outcomes[1].Result.LogRange);
        Assert.Equal("ArtifactCorrupt", outcomes[1].Error?.ErrorId);
        var copiedFiles = Directory.GetFiles(Path.Combine(checkedCopy, "collections", "enc", "wal", "00000001")).Select(Path.GetFileName).ToList();
        Assert.DoesNotContain(copiedFiles, f => f!.StartsWith(names[2], StringComparison.Ordinal));
        Assert.Equal(3, copiedFiles.Count(f => f!.EndsWith(".json", StringComparison.Ordinal)));
    }
}
