using System.Text;
using System.Security.Cryptography;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Storage;
using PsBackup.Engine.Storage.S3;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Storage;

/// <summary>What the repository relies on, checked against every store: the local directory and real S3 (s3rver).</summary>
public sealed class ObjectStoreContractTests : IDisposable
{
    private readonly TempDirectory _temp = new("store");

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string> Stores => ["local", "s3"];

    private async Task<IObjectStore> StoreAsync(string kind, int partSize = 8 << 20) => kind == "local"
        ? new LocalObjectStore(_temp.Combine("repo"))
        : new S3ObjectStore(S3Location.Parse(await S3Repository.NewAsync()), S3Repository.Options(partSize));

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Writes_appear_only_on_commit_and_abandoned_writes_leave_nothing(string kind)
    {
        var store = await StoreAsync(kind);
        var data = RandomNumberGenerator.GetBytes(100_000);
        await using (var write = await store.OpenWriteAsync("a/b/obj", default))
        {
            write.Write(data);
            Assert.Null(await store.StatAsync("a/b/obj", default));
            await write.CommitAsync(default);
        }
        Assert.Equal(data.Length, (await store.StatAsync("a/b/obj", default))!.Size);
        Assert.Equal(data, await store.ReadAllBytesAsync("a/b/obj", default));

        await using (var abandoned = await store.OpenWriteAsync("a/b/abandoned", default))
            abandoned.Write(data);
        Assert.Null(await store.StatAsync("a/b/abandoned", default));
        Assert.Equal(["a/b/obj"], await KeysAsync(store, "a/"));
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => store.OpenReadAsync("a/b/abandoned", default));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Create_if_absent_creates_once_and_delete_is_idempotent(string kind)
    {
        var store = await StoreAsync(kind);
        Assert.True(await store.TryCreateAsync("lock.json", "first"u8.ToArray(), default));
        Assert.False(await store.TryCreateAsync("lock.json", "second"u8.ToArray(), default));
        Assert.Equal("first"u8.ToArray(), await store.ReadAllBytesAsync("lock.json", default));
        await store.DeleteAsync("lock.json", default);
        await store.DeleteAsync("lock.json", default);
        Assert.Null(await store.StatAsync("lock.json", default));
    }

    [Fact]
    public async Task Racing_creators_of_one_key_have_exactly_one_winner_whose_content_stays()
    {
        // File.Move(overwrite: false) checks then renames: racing writers could both win. Many rounds to catch it.
        // Local only: s3rver ignores If-None-Match (ENVIRONMENT.md), so on it the race stays open; AWS S3 closes it.
        var store = await StoreAsync("local");
        for (var round = 0; round < 200; round++)
        {
            var key = $"race/{round}.json";
            using var start = new ManualResetEventSlim();
            var racers = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
            {
                start.Wait();
                return await store.TryCreateAsync(key, Encoding.UTF8.GetBytes($"writer {i}"), default) ? i : -1;
            })).ToList();
            start.Set();
            var winners = (await Task.WhenAll(racers)).Where(i => i >= 0).ToList();
            Assert.Single(winners);
            Assert.Equal($"writer {winners[0]}", Encoding.UTF8.GetString(await store.ReadAllBytesAsync(key, default)));
        }
        Assert.DoesNotContain(Directory.EnumerateFiles(store.Location, "*", SearchOption.AllDirectories), f => f.Contains(LocalObjectStore.TempMarker, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Listing_is_by_prefix_in_key_order_across_more_than_a_thousand_objects(string kind)
    {
        var store = await StoreAsync(kind);
        var keys = Enumerable.Range(0, 1100).Select(i => $"many/{i:D5}").ToList();
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 16 },
            async (key, ct) => await store.PutAsync(key, "x"u8.ToArray(), ct));
        await store.PutAsync("other/x", "x"u8.ToArray(), default);
        await store.PutAsync("many-not/x", "x"u8.ToArray(), default);

        Assert.Equal(keys, await KeysAsync(store, "many/"));
        Assert.Equal(["many-not/x"], await KeysAsync(store, "many-"));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Folders_holding_a_name_are_those_with_that_object_directly_inside(string kind)
    {
        // How the metrics count committed backups: an unfinished folder (artifacts, no manifest), a
        // manifest one level too deep, a temporary write and a look-alike name are not counted.
        var store = await StoreAsync(kind);
        await store.PutAsync("b/2/manifest.json", "m"u8.ToArray(), default);
        await store.PutAsync("b/2/t/data", "d"u8.ToArray(), default);
        await store.PutAsync("b/1/manifest.json", "m"u8.ToArray(), default);
        await store.PutAsync("b/3/t/data", "d"u8.ToArray(), default);
        await store.PutAsync("b/4/t/manifest.json", "m"u8.ToArray(), default);
        await store.PutAsync("b/5/manifest.json.old", "m"u8.ToArray(), default);
        await using (var unfinished = await store.OpenWriteAsync("b/6/manifest.json", default))
            unfinished.Write("m"u8);
        await store.PutAsync("b-not/7/manifest.json", "m"u8.ToArray(), default);

        Assert.Equal(["1", "2"], await store.ListFoldersHoldingAsync("b/", "manifest.json", default));
        Assert.Empty(await store.ListFoldersHoldingAsync("none/", "manifest.json", default));
    }

    [Fact]
    public async Task Large_objects_stream_as_multipart_uploads_with_bounded_parts()
    {
        var store = await StoreAsync("s3", partSize: 5 << 20);
        var data = RandomNumberGenerator.GetBytes((5 << 20) * 3 + 1_234_567); // 3 full parts and a short one
        await using (var write = await store.OpenWriteAsync("big", default))
        {
            for (var offset = 0; offset < data.Length; offset += 100_000)
                write.Write(data.AsSpan(offset, Math.Min(100_000, data.Length - offset)));
            Assert.Null(await store.StatAsync("big", default)); // parts uploaded, object not yet visible
            await write.CommitAsync(default);
        }
        Assert.Equal(data.Length, (await store.StatAsync("big", default))!.Size);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(await store.ReadAllBytesAsync("big", default)));

        // A large write abandoned after parts were uploaded is aborted: no object appears.
        await using (var abandoned = await store.OpenWriteAsync("big-abandoned", default))
            abandoned.Write(data);
        Assert.Null(await store.StatAsync("big-abandoned", default));
        Assert.Equal(["big"], await KeysAsync(store, "big"));
    }

    [Fact]
    public async Task Wrong_credentials_fail_quickly_with_a_clear_error()
    {
        var location = S3Location.Parse(await S3Repository.NewAsync());
        var store = new S3ObjectStore(location, S3Repository.Options() with { AccessKey = "WRONG", SecretKey = "WRONG" });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<PsBackupException>(() => store.StatAsync("config.json", default));
        Assert.Equal("RepositoryAccessDenied", error.ErrorId);
        Assert.Contains("credentials", error.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    private static async Task<List<string>> KeysAsync(IObjectStore store, string prefix)
    {
        var keys = new List<string>();
        await foreach (var entry in store.ListAsync(prefix, default)) keys.Add(entry.Key);
        return keys;
    }
}
