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
/// Large objects read as part-sized ranges in parallel (S3RangedReadStream), against s3rver,
/// through a proxy that sees (and breaks or stalls) every ranged GET.
/// </summary>
public sealed class S3RangedReadTests(ITestOutputHelper output) : IDisposable
{
    private const int Part = 5 << 20;
    private readonly FaultyProxy _proxy = new(TestPeers.S3Endpoint);

    public void Dispose() => _proxy.Dispose();

    /// <summary>A fresh bucket; the store through the proxy (5 MiB parts, 3 in flight), and one straight to s3rver.</summary>
    private async Task<(S3ObjectStore Store, S3ObjectStore Direct)> StoresAsync()
    {
        var location = S3Location.Parse(await S3Repository.NewAsync());
        var options = S3Repository.Options(partSize: Part) with
        {
            Endpoint = _proxy.Url, Parallelism = 3, MaxRetries = 4,
            RetryBaseDelay = TimeSpan.FromMilliseconds(20), RetryMaxDelay = TimeSpan.FromMilliseconds(200),
        };
        return (new S3ObjectStore(location, options), new S3ObjectStore(location, S3Repository.Options()));
    }

    private static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private IEnumerable<ProxyRequest> RangedGets => _proxy.Requests.Where(r => r.Method == "GET" && r.Headers.ContainsKey("Range"));

    private static long RangeStart(ProxyRequest r) => long.Parse(r.Headers["Range"].Split('=', '-')[1]);

    [Fact]
    public async Task An_object_of_several_ranges_and_an_odd_size_comes_back_byte_exact_in_parallel_ranges()
    {
        var (store, direct) = await StoresAsync();
        var bytes = Random(7 * Part + 12_345, 1); // 8 ranges, the last 12,345 bytes
        await direct.PutAsync("big", bytes, default);

        foreach (var sync in new[] { false, true })
        {
            var before = _proxy.Requests.Count;
            using var stream = await store.OpenReadAsync("big", default);
            Assert.IsType<S3RangedReadStream>(stream);
            var copy = new MemoryStream();
            var buffer = new byte[100_003]; // reads that straddle the ranges' edges
            int n;
            while ((n = sync ? stream.Read(buffer, 0, buffer.Length) : await stream.ReadAsync(buffer)) > 0) copy.Write(buffer, 0, n);
            Assert.True(bytes.AsSpan().SequenceEqual(copy.ToArray()), $"the object read {(sync ? "synchronously" : "asynchronously")} differs");
            Assert.Equal(0, stream.Read(buffer, 0, buffer.Length)); // and stays at its end

            // One plain GET (range 0 is its head), then one ranged GET per further range, each exactly a part.
            var requests = _proxy.Requests.Skip(before).ToList();
            Assert.Single(requests, r => r.Method == "GET" && !r.Headers.ContainsKey("Range"));
            var ranges = requests.Where(r => r.Headers.ContainsKey("Range")).Select(r => r.Headers["Range"]).Order().ToList();
            var expected = Enumerable.Range(1, 7).Select(i => $"bytes={(long)i * Part}-{Math.Min((long)(i + 1) * Part, bytes.Length) - 1}").Order().ToList();
            Assert.Equal(expected, ranges);
        }
        Assert.Equal(store.Parts.Parallelism, store.Parts.FreeSlots);
    }

    [Fact]
    public async Task An_object_up_to_a_part_stays_one_GET()
    {
        var (store, direct) = await StoresAsync();
        var bytes = Random(Part, 2);
        await direct.PutAsync("small", bytes, default);
        await direct.PutAsync("empty", Array.Empty<byte>(), default);

        Assert.Equal(bytes, await store.ReadAllBytesAsync("small", default));
        Assert.Empty(await store.ReadAllBytesAsync("empty", default));
        using (var stream = await store.OpenReadAsync("small", default)) Assert.IsType<S3ReadStream>(stream);
        Assert.Empty(RangedGets);
        Assert.Equal(3, _proxy.Requests.Count);
    }

    [Theory]
    [InlineData(ProxyFault.MidResponseReset)]
    [InlineData(ProxyFault.SlowDown)]
    public async Task A_range_that_fails_once_is_fetched_again_and_the_object_is_exact(ProxyFault fault)
    {
        var (store, direct) = await StoresAsync();
        var bytes = Random(5 * Part + 999, 3);
        await direct.PutAsync("big", bytes, default);
        var failed = 0;
        var third = 3L * Part;
        _proxy.Decide = r => r.Method == "GET" && r.Headers.TryGetValue("Range", out var range) && range.StartsWith($"bytes={third}-", StringComparison.Ordinal)
                             && Interlocked.Exchange(ref failed, 1) == 0 ? fault : null;

        using var stream = await store.OpenReadAsync("big", default);
        var copy = new MemoryStream();
        await stream.CopyToAsync(copy);

        Assert.True(bytes.AsSpan().SequenceEqual(copy.ToArray()), "the object differs after a range was fetched again");
        Assert.Equal(1, ((S3RangedReadStream)stream).Refetches);
        Assert.Equal(2, RangedGets.Count(r => RangeStart(r) == third));
        Assert.Equal(1, _proxy.Count(fault));
    }

    [Fact]
    public async Task The_head_of_the_opening_GET_breaking_off_is_fetched_again_as_a_range()
    {
        var (store, direct) = await StoresAsync();
        var bytes = Random(Part + 100, 4);
        await direct.PutAsync("big", bytes, default);
        // The proxy relays half of the plain GET's body, less than a part: range 0 is cut off.
        _proxy.Decide = r => r.Method == "GET" && !r.Headers.ContainsKey("Range") ? ProxyFault.MidResponseReset : null;

        using var stream = await store.OpenReadAsync("big", default);
        var copy = new MemoryStream();
        await stream.CopyToAsync(copy);

        Assert.True(bytes.AsSpan().SequenceEqual(copy.ToArray()), "the object differs after range 0 was fetched again");
        Assert.Equal(1, ((S3RangedReadStream)stream).Refetches);
        Assert.Equal($"bytes=0-{Part - 1}", Assert.Single(RangedGets, r => RangeStart(r) == 0).Headers["Range"]);
    }

    [Fact]
    public async Task A_range_that_keeps_failing_ends_in_RepositoryUnavailable()
    {
        var (store, direct) = await StoresAsync();
        await direct.PutAsync("big", Random(3 * Part, 6), default);
        _proxy.Decide = r => r.Method == "GET" && r.Headers.ContainsKey("Range") && RangeStart(r) == 2L * Part ? ProxyFault.MidResponseReset : null;

        using var stream = await store.OpenReadAsync("big", default);
        var error = await Assert.ThrowsAsync<PsBackupException>(() => stream.CopyToAsync(Stream.Null));
        Assert.Equal("RepositoryUnavailable", error.ErrorId);
        Assert.Equal(5, RangedGets.Count(r => RangeStart(r) == 2L * Part)); // the attempt and 4 retries
        stream.Dispose();
        Assert.Equal(store.Parts.Parallelism, store.Parts.FreeSlots);
        Assert.Equal(store.Parts.Parallelism, store.Parts.FreeReadAhead);
        Assert.Equal(store.Parts.BuffersAllocated, store.Parts.BuffersFree);
    }

    [Fact]
    public async Task An_object_replaced_during_a_ranged_read_is_not_spliced()
    {
        var (store, direct) = await StoresAsync();
        await direct.PutAsync("big", Random(4 * Part, 7), default);
        using var replaced = new ManualResetEventSlim();
        // The ranged GETs reach s3rver only once the object was replaced: they must not splice the new version in.
        _proxy.Decide = r =>
        {
            if (r.Method == "GET" && r.Headers.ContainsKey("Range")) replaced.Wait(TimeSpan.FromSeconds(30));
            return null;
        };

        using var stream = await store.OpenReadAsync("big", default);
        await direct.PutAsync("big", Random(4 * Part, 8), default);
        replaced.Set();
        var error = await Assert.ThrowsAsync<PsBackupException>(() => stream.CopyToAsync(Stream.Null));
        Assert.Equal("RepositoryObjectChanged", error.ErrorId);
    }

    [Fact]
    public async Task Cancelling_mid_download_stops_the_ranges_in_flight_and_gives_back_every_slot_and_buffer()
    {
        var (store, direct) = await StoresAsync();
        await direct.PutAsync("big", Random(12 * Part, 9), default);
        // Ranges beyond the third stall: only cancelling them ends the read.
        _proxy.Decide = r => r.Method == "GET" && r.Headers.ContainsKey("Range") && RangeStart(r) >= 3L * Part ? ProxyFault.Stall : null;

        using var cancel = new CancellationTokenSource();
        var stream = await store.OpenReadAsync("big", cancel.Token);
        var buffer = new byte[1 << 20];
        for (var read = 0L; read < 3L * Part;) read += await stream.ReadAsync(buffer); // ranges 0-2 come through
        var deadline = Stopwatch.StartNew();
        while (_proxy.Count(ProxyFault.Stall) < store.Parts.Parallelism && deadline.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(50);
        Assert.Equal(store.Parts.Parallelism, _proxy.Count(ProxyFault.Stall)); // every slot holds a stalled range
        Assert.Equal(0, store.Parts.FreeSlots);

        var clock = Stopwatch.StartNew();
        var reading = stream.ReadAsync(buffer).AsTask();
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading);
        stream.Dispose();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"the cancelled read took {clock.Elapsed.TotalSeconds:0.00} s to stop");
        Assert.Equal(store.Parts.Parallelism, store.Parts.FreeSlots);
        Assert.Equal(store.Parts.Parallelism, store.Parts.FreeReadAhead);
        Assert.Equal(store.Parts.BuffersAllocated, store.Parts.BuffersFree);
        var requests = _proxy.Requests.Count;
        await Task.Delay(500);
        Assert.Equal(requests, _proxy.Requests.Count); // nothing goes on behind
    }

    [Fact]
    public async Task Memory_stays_bounded_by_the_window_however_large_the_object()
    {
        var (store, direct) = await StoresAsync();
        var bytes = Random(20 * Part + 7, 10); // 21 ranges
        await direct.PutAsync("big", bytes, default);

        using var stream = await store.OpenReadAsync("big", default);
        using var sha = System.Security.Cryptography.SHA256.Create();
        var buffer = new byte[256 << 10];
        var reads = 0;
        int n;
        var copy = new MemoryStream();
        while ((n = await stream.ReadAsync(buffer)) > 0)
        {
            copy.Write(buffer, 0, n);
            if (++reads % 8 == 0) await Task.Delay(5); // a slow reader: the fetchers must wait for it
        }
        Assert.True(bytes.AsSpan().SequenceEqual(copy.ToArray()), "the object differs");
        output.WriteLine($"{store.Parts.BuffersAllocated} part buffers for {bytes.Length >> 20} MiB");
        // The ranges ahead (Parallelism) and the one being read: not one per range.
        Assert.InRange(store.Parts.BuffersAllocated, 2, store.Parts.Parallelism + 1);
    }

    [Fact]
    public async Task Large_reads_at_once_share_the_read_ahead_and_none_waits_for_another()
    {
        var (store, direct) = await StoresAsync();
        var objects = Enumerable.Range(0, 4).Select(i => Random(6 * Part + 333 * i, 20 + i)).ToArray();
        for (var i = 0; i < objects.Length; i++) await direct.PutAsync($"o{i}", objects[i], default);

        var streams = new List<Stream>();
        foreach (var i in Enumerable.Range(0, objects.Length)) streams.Add(await store.OpenReadAsync($"o{i}", default));
        var copies = objects.Select(_ => new MemoryStream()).ToArray();
        var buffer = new byte[1 << 20];
        // The first stream took every read-ahead token; the others must still come through, one
        // range at a time, while it sits unread (a restore's pack worker waiting for its queue).
        foreach (var i in new[] { 1, 2, 3, 0 })
        {
            int n;
            while ((n = await streams[i].ReadAsync(buffer)) > 0) copies[i].Write(buffer, 0, n);
        }
        for (var i = 0; i < objects.Length; i++)
            Assert.True(objects[i].AsSpan().SequenceEqual(copies[i].ToArray()), $"object {i} differs");
        output.WriteLine($"{store.Parts.BuffersAllocated} part buffers for {objects.Length} reads at once");
        // Parallelism ranges ahead over all reads, plus the range being read and the next one per read.
        Assert.InRange(store.Parts.BuffersAllocated, 1, store.Parts.Parallelism + 2 * objects.Length);
        foreach (var stream in streams) stream.Dispose();
        Assert.Equal(store.Parts.Parallelism, store.Parts.FreeReadAhead);
        Assert.Equal(store.Parts.BuffersAllocated, store.Parts.BuffersFree);
    }

    [Fact]
    public async Task A_truncated_or_tampered_large_artifact_is_ArtifactCorrupt()
    {
        var (store, direct) = await StoresAsync();
        var codec = new ArtifactCodec(store, CompressionKind.None, null);
        var plain = Random(6 * Part + 4321, 11);
        ArtifactRecord record;
        await using (var writer = await codec.CreateAsync("artifact", "data", default))
        {
            await writer.Stream.WriteAsync(plain);
            record = await writer.CompleteAsync("data", default);
        }
        await using (var intact = await codec.OpenAsync("artifact", record, "data", default))
        {
            var copy = new MemoryStream();
            await intact.CopyToAsync(copy);
            Assert.True(plain.AsSpan().SequenceEqual(copy.ToArray()), "the intact artifact differs");
        }

        var tampered = (byte[])plain.Clone();
        tampered[4 * Part + 17] ^= 0x40; // inside a range fetched in parallel
        await direct.PutAsync("artifact", tampered, default);
        await using (var read = await codec.OpenAsync("artifact", record, "data", default))
        {
            var error = await Assert.ThrowsAsync<IntegrityException>(() => read.CopyToAsync(Stream.Null));
            Assert.Equal("ArtifactCorrupt", error.ErrorId);
            output.WriteLine(error.Message);
        }

        await direct.PutAsync("artifact", plain[..(5 * Part + 10)], default); // cut off inside a later range
        await using (var read = await codec.OpenAsync("artifact", record, "data", default))
        {
            var error = await Assert.ThrowsAsync<IntegrityException>(() => read.CopyToAsync(Stream.Null));
            Assert.Equal("ArtifactCorrupt", error.ErrorId);
            Assert.Contains("truncated", error.Message);
            output.WriteLine(error.Message);
        }
    }
}
