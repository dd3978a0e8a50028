using System.Diagnostics;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Storage.S3;
using PsBackup.Engine.Tests.Peers;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Storage;

/// <summary>Ctrl+C during a large S3 upload: the parts in flight are cancelled, not waited for.</summary>
public sealed class S3CancellationTests : IDisposable
{
    private readonly EngineFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    [Fact]
    public async Task Cancelling_a_1_GB_upload_returns_within_2_seconds_and_leaves_nothing_visible()
    {
        var source = _fx.Temp.Combine("big");
        Directory.CreateDirectory(source);
        var block = new byte[1 << 20];
        Random.Shared.NextBytes(block);
        await using (var file = File.Create(Path.Combine(source, "disk.img")))
            for (var i = 0; i < 1024; i++) await file.WriteAsync(block); // 1 GiB; no compression below, so every byte is uploaded

        var repository = await S3Repository.NewAsync();
        await _fx.Engine.NewCollectionAsync(new NewCollectionRequest("big", [EngineFixture.Tree("disk", source)])
            { Repository = repository, Compression = CompressionKind.None });
        using var cancel = new CancellationTokenSource();
        var uploading = new TaskCompletionSource();
        var progress = new SyncProgress(p => { if (p.BytesDone > 64 << 20) uploading.TrySetResult(); });

        var backup = _fx.Engine.InvokeBackupAsync(new BackupRequest("big") { Repository = repository }, progress, cancel.Token);
        await Task.WhenAny(uploading.Task, backup);
        Assert.False(backup.IsCompleted, "the backup ended before it could be cancelled");
        var clock = Stopwatch.StartNew();
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => backup);
        clock.Stop();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"the cancelled backup took {clock.Elapsed.TotalSeconds:0.00} s to return");

        Assert.Empty(await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = repository, Collection = "big" }));
        var store = RepositoryLocation.OpenStore(repository);
        await foreach (var entry in store.ListAsync("collections/big/backups/", default))
            Assert.Fail($"left in the repository: {entry.Key}");
    }

    [Fact]
    public async Task Parts_in_flight_are_cancelled_not_waited_for()
    {
        // Every part upload stalls at the proxy: only cancelling them ends the write early.
        using var proxy = new FaultyProxy(TestPeers.S3Endpoint) { Decide = r => r.Method == "PUT" && r.Target.Contains("uploadId=", StringComparison.Ordinal) ? ProxyFault.Stall : null };
        var options = S3Repository.Options(partSize: 5 << 20) with { Endpoint = proxy.Url, RequestTimeout = TimeSpan.FromSeconds(60) };
        using var store = new S3ObjectStore(S3Location.Parse(await S3Repository.NewAsync()), options);
        using var cancel = new CancellationTokenSource();
        var writing = Task.Run(async () =>
        {
            await using var upload = await store.OpenWriteAsync("big.bin", cancel.Token);
            var chunk = new byte[1 << 20];
            while (true) upload.Write(chunk); // blocks once every part slot holds a stalled part
        });
        var deadline = Stopwatch.StartNew();
        while (proxy.Count(ProxyFault.Stall) < options.Parallelism && deadline.Elapsed < TimeSpan.FromSeconds(30))
            await Task.Delay(50);
        Assert.Equal(options.Parallelism, proxy.Count(ProxyFault.Stall));

        var clock = Stopwatch.StartNew();
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writing);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"the cancelled upload took {clock.Elapsed.TotalSeconds:0.00} s to stop");
        Assert.Null(await store.StatAsync("big.bin", default));
    }

    [Fact]
    public async Task Objects_written_at_once_share_the_stores_parts_in_flight()
    {
        // Two large objects written together: the store's Parallelism bounds their parts together
        // (memory = (Parallelism + uploads) × PartSize), not Parallelism per object.
        using var proxy = new FaultyProxy(TestPeers.S3Endpoint) { Decide = r => r.Method == "PUT" && r.Target.Contains("uploadId=", StringComparison.Ordinal) ? ProxyFault.Stall : null };
        var options = S3Repository.Options(partSize: 5 << 20) with { Endpoint = proxy.Url, RequestTimeout = TimeSpan.FromSeconds(60), Parallelism = 3 };
        using var store = new S3ObjectStore(S3Location.Parse(await S3Repository.NewAsync()), options);
        using var cancel = new CancellationTokenSource();
        var writers = new[] { "a.bin", "b.bin" }.Select(key => Task.Run(async () =>
        {
            await using var upload = await store.OpenWriteAsync(key, cancel.Token);
            var chunk = new byte[1 << 20];
            while (true) upload.Write(chunk); // blocks once every slot of the store holds a stalled part
        })).ToArray();
        var deadline = Stopwatch.StartNew();
        while (proxy.Count(ProxyFault.Stall) < options.Parallelism && deadline.Elapsed < TimeSpan.FromSeconds(30))
            await Task.Delay(50);
        await Task.Delay(1000); // room for a part beyond the budget to show up
        Assert.Equal(options.Parallelism, proxy.Count(ProxyFault.Stall));
        Assert.All(writers, w => Assert.False(w.IsCompleted, "a writer ended instead of waiting for a slot"));

        cancel.Cancel();
        foreach (var writer in writers)
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writer);
        Assert.Null(await store.StatAsync("a.bin", default));
        Assert.Null(await store.StatAsync("b.bin", default));
    }

    /// <summary>Reports on the reporting thread (Progress&lt;T&gt; would post to the thread pool, out of order).</summary>
    private sealed class SyncProgress(Action<BackupProgress> report) : IProgress<BackupProgress>
    {
        public void Report(BackupProgress value) => report(value);
    }
}
