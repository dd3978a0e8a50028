using PsBackup.Engine.Errors;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Providers.PostgreSql.Cluster;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.PostgreSqlCluster;

/// <summary>archive_command's contract: idempotent, refuses a different file under a taken name, safe with concurrent archivers, encrypted like backups.</summary>
public sealed class WalArchiveTests : IDisposable
{
    private const string Segment = "000000010000000000000007";
    private readonly EngineFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    private string WalFile(string name, int seed)
    {
        var bytes = new byte[3 << 20];
        new Random(seed).NextBytes(bytes);
        var path = _fx.Temp.Combine($"{name}-{seed}");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private async Task<bool> ArchiveAsync(string collection, string file, string name = Segment, string? passphrase = null) =>
        (await _fx.Engine.ArchiveLogAsync(new ArchiveLogRequest(collection, file, name) { Repository = _fx.Repository, Passphrase = passphrase })).Stored;

    private string Folder(string collection) => Path.Combine(_fx.Repository, "collections", collection, "wal", "00000001");

    [Fact]
    public async Task Same_file_twice_succeeds_a_different_file_under_that_name_fails_and_changes_nothing()
    {
        await _fx.NewCollectionAsync("w", targets: new PostgreSqlClusterTarget { Name = "pg" });
        var file = WalFile("a", 1);
        Assert.True(await ArchiveAsync("w", file));
        Assert.False(await ArchiveAsync("w", file));
        var entry = await File.ReadAllTextAsync(Path.Combine(Folder("w"), Segment + ".json"));

        var conflict = await Assert.ThrowsAsync<WalSegmentConflictException>(() => ArchiveAsync("w", WalFile("b", 2)));
        Assert.Equal("WalSegmentConflict", conflict.ErrorId);
        Assert.Contains($"'{Segment}'", conflict.Message);
        Assert.Equal(entry, await File.ReadAllTextAsync(Path.Combine(Folder("w"), Segment + ".json")));
        Assert.Equal(2, Directory.GetFiles(Folder("w")).Length); // the entry and one data object

        var invalid = await Assert.ThrowsAsync<InvalidBackupRequestException>(() => ArchiveAsync("w", file, "pg_wal/../x"));
        Assert.Equal("InvalidWalFileName", invalid.ErrorId);
    }

    [Fact]
    public async Task Concurrent_archivers_of_one_segment_leave_one_entry_and_one_data_object()
    {
        await _fx.NewCollectionAsync("c", targets: new PostgreSqlClusterTarget { Name = "pg" });
        var file = WalFile("a", 3);
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => ArchiveAsync("c", file))));
        Assert.Single(results, stored => stored);
        Assert.Equal(2, Directory.GetFiles(Folder("c")).Length);

        var target = _fx.Temp.Combine("fetched");
        var archive = new WalArchive(new PsBackup.Engine.Storage.LocalObjectStore(_fx.Repository), "c");
        await archive.FetchAsync(await archive.ReadEntryAsync(Segment, default), null, target, default);
        Assert.Equal(await File.ReadAllBytesAsync(file), await File.ReadAllBytesAsync(target));
    }

    [Fact]
    public async Task Encrypted_collections_need_the_passphrase_and_store_no_plaintext()
    {
        await _fx.NewCollectionAsync("e", passphrase: "wal secret", targets: new PostgreSqlClusterTarget { Name = "pg" });
        var file = WalFile("a", 4);
        await Assert.ThrowsAsync<PassphraseRequiredException>(() => ArchiveAsync("e", file));
        Assert.True(await ArchiveAsync("e", file, passphrase: "wal secret"));
        var data = Assert.Single(Directory.GetFiles(Folder("e"), "*.aes"));
        Assert.Equal("PSBKAES1"u8.ToArray(), File.ReadAllBytes(data)[..8]);
    }

    [Fact]
    public async Task The_cli_is_a_usable_archive_command()
    {
        await _fx.NewCollectionAsync("cli", targets: new PostgreSqlClusterTarget { Name = "pg" });
        var file = WalFile("a", 5);
        async Task<(int Code, string Error)> RunAsync(string path)
        {
            using var process = CliProcess.Start("archive-wal", "--repository", _fx.Repository, "--collection", "cli", path, Segment);
            var error = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, error);
        }
        Assert.Equal(0, (await RunAsync(file)).Code);
        var again = await RunAsync(file);
        Assert.Equal(0, again.Code);
        Assert.Contains("already archived with identical content", again.Error);
        var different = await RunAsync(WalFile("b", 6));
        Assert.Equal(1, different.Code); // PostgreSQL keeps the segment and retries
        Assert.Contains("WalSegmentConflict", different.Error);
    }
}
