using System.Diagnostics;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;
using PsBackup.Engine.Storage;
using PsBackup.Engine.Storage.S3;
using PsBackup.Engine.Tests.Peers;
using PsBackup.Engine.Tests.Support;
using Xunit.Abstractions;

namespace PsBackup.Engine.Tests.Storage;

/// <summary>
/// The S3 store's retries, timeouts and resumable reads, against s3rver behind a proxy that
/// injects throttling, connection resets, broken downloads and stalls.
/// </summary>
public sealed class S3ResilienceTests(ITestOutputHelper output) : IDisposable
{
    private readonly List<FaultyProxy> _proxies = [];

    public void Dispose()
    {
        foreach (var proxy in _proxies) proxy.Dispose();
    }

    private FaultyProxy Proxy(double failureRate = 0, int seed = 1)
    {
        var proxy = new FaultyProxy(TestPeers.S3Endpoint, failureRate, seed);
        _proxies.Add(proxy);
        return proxy;
    }

    /// <summary>A fresh bucket; the store through <paramref name="proxy"/> with short retry delays, and one straight to s3rver.</summary>
    private static async Task<(S3ObjectStore Faulty, S3ObjectStore Direct)> StoresAsync(FaultyProxy proxy, Func<S3StoreOptions, S3StoreOptions>? configure = null)
    {
        var location = S3Location.Parse(await S3Repository.NewAsync());
        var options = S3Repository.Options(partSize: 5 << 20) with
        {
            Endpoint = proxy.Url,
            MaxRetries = 8,
            RetryBaseDelay = TimeSpan.FromMilliseconds(20),
            RetryMaxDelay = TimeSpan.FromMilliseconds(300),
        };
        return (new S3ObjectStore(location, configure?.Invoke(options) ?? options), new S3ObjectStore(location, S3Repository.Options()));
    }

    private static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private void Report(FaultyProxy proxy, Stopwatch? clock = null) =>
        output.WriteLine($"{proxy.Requests.Count} requests ({proxy.Requests.Select(r => r.Headers.GetValueOrDefault("amz-sdk-invocation-id")).Distinct().Count()} SDK invocations); faults: {proxy.Count(ProxyFault.SlowDown)} SlowDown, {proxy.Count(ProxyFault.Reset)} reset, " +
                         $"{proxy.Count(ProxyFault.MidResponseReset)} mid-response reset, {proxy.Count(ProxyFault.Stall)} stall" +
                         (clock != null ? $"; {clock.ElapsedMilliseconds} ms" : ""));

    [Fact]
    public async Task Writes_reads_listings_and_multipart_uploads_come_through_injected_faults_intact()
    {
        var proxy = Proxy(failureRate: 0.2, seed: 20261121);
        var (store, direct) = await StoresAsync(proxy);
        var clock = Stopwatch.StartNew();

        var small = Enumerable.Range(0, 24).ToDictionary(i => $"small/o{i:D2}", i => Random(1 + i * 7919, i));
        foreach (var (key, bytes) in small)
            await store.PutAsync(key, bytes, default);
        Assert.True(await store.TryCreateAsync("created", "first"u8.ToArray(), default));
        Assert.False(await store.TryCreateAsync("created", "second"u8.ToArray(), default));

        // Multipart: 5 MiB parts, 4 of them (the last partial), at most 2 in flight.
        var large = Random((17 << 20) + 12345, 99);
        await using (var write = await store.OpenWriteAsync("large", default))
        {
            for (var offset = 0; offset < large.Length; offset += 1 << 20)
                write.Write(large, offset, Math.Min(1 << 20, large.Length - offset));
            await write.CommitAsync(default);
        }

        var listed = new List<ObjectEntry>();
        await foreach (var entry in store.ListAsync("small/", default)) listed.Add(entry);
        Assert.Equal(small.Keys.Order(), listed.Select(e => e.Key).Order());
        Assert.All(listed, e => Assert.Equal(small[e.Key].Length, e.Size));

        foreach (var (key, bytes) in small)
            Assert.Equal(bytes, await store.ReadAllBytesAsync(key, default));
        Assert.Equal("first"u8.ToArray(), await store.ReadAllBytesAsync("created", default));
        Assert.Equal((long)large.Length, (await store.StatAsync("large", default))?.Size);
        Assert.Null(await store.StatAsync("absent", default));
        for (var i = 0; i < 3; i++)
        {
            // Asynchronous and synchronous reads of the large object: both resume broken downloads.
            var read = i % 2 == 0 ? await store.ReadAllBytesAsync("large", default) : await ReadSyncAsync(store, "large");
            Assert.Equal(large.Length, read.Length);
            Assert.True(large.AsSpan().SequenceEqual(read), "the large object came back different");
        }
        await store.DeleteAsync("created", default);
        Assert.Null(await store.StatAsync("created", default));

        // What the proxy did, and that the objects in the bucket are right (not only what the faulty path read).
        Report(proxy, clock);
        var stored = await direct.ReadAllBytesAsync("large", default);
        Assert.True(large.AsSpan().SequenceEqual(stored), "the large object in the bucket differs");
        Assert.True(proxy.Count(ProxyFault.SlowDown) > 0, "no SlowDown was injected");
        Assert.True(proxy.Count(ProxyFault.Reset) + proxy.Count(ProxyFault.MidResponseReset) > 0, "no reset was injected");
        Assert.True(proxy.Faults >= proxy.Requests.Count / 10, $"only {proxy.Faults} of {proxy.Requests.Count} requests failed");
    }

    [Fact]
    public async Task An_encrypted_artifact_in_a_repository_round_trips_through_injected_faults()
    {
        var proxy = Proxy(failureRate: 0.25, seed: 3);
        var (store, _) = await StoresAsync(proxy);
        await BackupRepository.OpenAsync(store, create: true, default);
        var repository = await BackupRepository.OpenAsync(store, create: false, default);
        var codec = new ArtifactCodec(store, CompressionKind.Brotli, Random(32, 5));
        var plain = Random(12 << 20, 11); // incompressible: 3 parts of 5 MiB stored

        ArtifactRecord record;
        await using (var writer = await codec.CreateAsync("artifact", "data", default))
        {
            await writer.Stream.WriteAsync(plain);
            record = await writer.CompleteAsync("data", default);
        }
        await using var read = await codec.OpenAsync("artifact", record, "data", default);
        var copy = new MemoryStream();
        await read.CopyToAsync(copy); // verifies the SHA-256 at the end
        Report(proxy);
        Assert.True(plain.AsSpan().SequenceEqual(copy.ToArray()), "the artifact came back different");
        Assert.NotNull(repository);
        Assert.True(proxy.Faults > 0, "no fault was injected");
    }

    private static async Task<byte[]> ReadSyncAsync(IObjectStore store, string key)
    {
        using var stream = await store.OpenReadAsync(key, default);
        var result = new MemoryStream();
        var buffer = new byte[50_000];
        int n;
        while ((n = stream.Read(buffer, 0, buffer.Length)) > 0) result.Write(buffer, 0, n);
        return result.ToArray();
    }

    [Fact]
    public async Task A_download_cut_off_mid_body_resumes_with_a_Range_request()
    {
        var proxy = Proxy();
        var (store, direct) = await StoresAsync(proxy);
        var bytes = Random(3_000_000, 7);
        await direct.PutAsync("object", bytes, default);
        proxy.Decide = r => r.Method == "GET" && !r.Headers.ContainsKey("Range") ? ProxyFault.MidResponseReset : null;

        await using var stream = await store.OpenReadAsync("object", default);
        var copy = new MemoryStream();
        await stream.CopyToAsync(copy);

        Assert.True(bytes.AsSpan().SequenceEqual(copy.ToArray()), "the resumed download differs");
        Assert.Equal(1, ((S3ReadStream)stream).Resumes);
        var ranged = Assert.Single(proxy.Requests, r => r.Headers.ContainsKey("Range"));
        output.WriteLine($"resumed with Range: {ranged.Headers["Range"]}");
        var from = long.Parse(ranged.Headers["Range"].Split('=', '-')[1]);
        Assert.InRange(from, 1, bytes.Length / 2); // the proxy relayed half the body before the reset
    }

    [Fact]
    public async Task A_download_does_not_splice_two_versions_of_an_object()
    {
        var proxy = Proxy();
        var (store, direct) = await StoresAsync(proxy);
        await direct.PutAsync("object", Random(2_000_000, 1), default);
        proxy.Decide = r => r.Method == "GET" && !r.Headers.ContainsKey("Range") ? ProxyFault.MidResponseReset : null;

        await using var stream = await store.OpenReadAsync("object", default);
        await direct.PutAsync("object", Random(2_000_000, 2), default); // replaced before the break is noticed
        var error = await Assert.ThrowsAsync<PsBackupException>(() => stream.CopyToAsync(Stream.Null));
        Assert.Equal("RepositoryObjectChanged", error.ErrorId);
    }

    [Fact]
    public async Task Wrong_credentials_fail_at_once_with_a_clear_error_and_are_not_retried()
    {
        var proxy = Proxy();
        var (store, _) = await StoresAsync(proxy, o => o with { AccessKey = "WRONG", RetryBaseDelay = TimeSpan.FromSeconds(1) });

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<PsBackupException>(() => store.OpenReadAsync("config.json", default));
        Assert.Equal("RepositoryAccessDenied", error.ErrorId);
        Assert.Equal(ErrorKind.Security, error.Kind);
        Assert.Single(proxy.Requests);

        error = await Assert.ThrowsAsync<PsBackupException>(() => store.PutAsync("config.json", "{}"u8.ToArray(), default));
        Assert.Equal("RepositoryAccessDenied", error.ErrorId);
        Assert.Equal(2, proxy.Requests.Count);
        output.WriteLine($"{error.Message} ({clock.ElapsedMilliseconds} ms for both)");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
    }

    [Theory]
    [InlineData(ProxyFault.SlowDown)]
    [InlineData(ProxyFault.Reset)]
    public async Task A_permanently_failing_endpoint_gives_up_after_the_configured_retries(ProxyFault fault)
    {
        var proxy = Proxy();
        var (store, _) = await StoresAsync(proxy, o => o with { MaxRetries = 3, RetryBaseDelay = TimeSpan.FromMilliseconds(50), RetryMaxDelay = TimeSpan.FromMilliseconds(400) });
        proxy.Decide = _ => fault;

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<PsBackupException>(() => store.PutAsync("object", "x"u8.ToArray(), default));
        clock.Stop();
        Report(proxy, clock);
        Assert.Equal("RepositoryUnavailable", error.ErrorId);
        Assert.Equal(ErrorKind.ResourceUnavailable, error.Kind);
        // The attempt and 3 retries: each is a new SDK invocation (the SDK's own retries are off).
        Assert.Equal(4, proxy.Requests.Select(r => r.Headers["amz-sdk-invocation-id"]).Distinct().Count());
        // .NET's HTTP handler itself re-sends, at once, a request whose fresh connection closed
        // before any byte of a response (a bounded number of times): a reset costs more requests.
        if (fault == ProxyFault.SlowDown) Assert.Equal(4, proxy.Requests.Count);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_stalled_request_times_out_and_is_retried()
    {
        var proxy = Proxy();
        var (store, direct) = await StoresAsync(proxy, o => o with { RequestTimeout = TimeSpan.FromSeconds(1) });
        await direct.PutAsync("object", "content"u8.ToArray(), default);
        proxy.Decide = r => r.Number == 1 ? ProxyFault.Stall : null;

        var clock = Stopwatch.StartNew();
        Assert.Equal(7, (await store.StatAsync("object", default))?.Size);
        Report(proxy, clock);
        // The stalled attempt was given up after the timeout and a new one answered (under load,
        // e.g. beside the multipart test, that one may time out too: hence at least 2).
        Assert.Equal(ProxyFault.Stall, proxy.Requests[0].Fault);
        Assert.True(proxy.Requests.Count >= 2);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(950), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task The_callers_cancellation_is_not_retried()
    {
        var proxy = Proxy();
        var (store, _) = await StoresAsync(proxy, o => o with { RequestTimeout = TimeSpan.FromSeconds(30) });
        proxy.Decide = _ => ProxyFault.Stall;

        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.StatAsync("object", cancel.Token));
        Assert.Single(proxy.Requests);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }
}
