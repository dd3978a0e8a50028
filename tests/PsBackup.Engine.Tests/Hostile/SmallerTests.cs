using PsBackup.Engine.Errors;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Tests.PostgreSql;
using PsBackup.Engine.Tests.Peers;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Hostile;

/// <summary>Issue 20, items 7 (engine side) and 8: empty repository locations, files as repositories, RestoreResult's ids, empty unfinished folders, masked destinations.</summary>
public sealed class SmallerTests : IDisposable
{
    private readonly HostileRepository _repo = new();

    public void Dispose() => _repo.Dispose();

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public async Task An_empty_repository_location_is_an_error_not_the_default_repository(string location)
    {
        var error = await HostileRepository.ErrorOf(() => _repo.Engine.GetBackupsAsync(new BackupQuery { Repository = location }));
        Assert.Equal("InvalidRepository", error.ErrorId);
        Assert.Equal("InvalidRepository", (await HostileRepository.ErrorOf(() => _repo.Engine.NewCollectionAsync(
            new NewCollectionRequest("x", [EngineFixture.Tree("src", _repo.Tree.Root)]) { Repository = location }))).ErrorId);
    }

    [Fact]
    public async Task A_file_where_the_repository_should_be_is_named()
    {
        var file = _repo.Fx.Temp.Combine("not-a-directory");
        await File.WriteAllTextAsync(file, "x");
        foreach (var location in new[] { file, Path.Combine(file, "repo") })
        {
            var error = await HostileRepository.ErrorOf(() => _repo.Engine.NewCollectionAsync(
                new NewCollectionRequest("x", [EngineFixture.Tree("src", _repo.Tree.Root)]) { Repository = location }));
            Assert.Equal("RepositoryIsAFile", error.ErrorId);
            Assert.Contains($"'{file}' is a file", error.Message);
        }
        Assert.Equal("x", await File.ReadAllTextAsync(file));
    }

    [Fact]
    public async Task An_empty_unfinished_folder_left_by_a_kill_is_removed_by_the_next_backup_and_by_retention()
    {
        await _repo.BackupAsync();
        // A writer killed after creating its folders and before its first object leaves only empty folders.
        var orphan = _repo.Folder("20200101T000000Z_full_0badf00d");
        Directory.CreateDirectory(Path.Combine(orphan, "src"));

        var next = await _repo.Engine.InvokeBackupAsync(new BackupRequest("c") { Repository = _repo.Repository });
        Assert.Equal(1, next.RemovedUnfinished);
        Assert.False(Directory.Exists(orphan));

        Directory.CreateDirectory(Path.Combine(orphan, "src"));
        var request = new RetentionRequest("c") { Repository = _repo.Repository, Policy = new RetentionPolicy { KeepLast = 5 }, UnfinishedGracePeriod = TimeSpan.Zero };
        var planned = Assert.Single(await _repo.Engine.PlanRetentionAsync(request), d => d.Unfinished);
        Assert.Equal((RetentionAction.Delete, "20200101T000000Z_full_0badf00d"), (planned.Action, planned.BackupId));
        await foreach (var _ in _repo.Engine.ApplyRetentionAsync(request, new HashSet<string> { planned.BackupId })) { }
        Assert.False(Directory.Exists(orphan));
        Assert.Equal(2, (await _repo.ListAsync()).Count);
    }

    [Fact]
    public async Task Every_restore_result_names_its_backup_and_collection_and_no_password()
    {
        await using var db = await PgTestDatabase.CreateAsync("ids");
        await db.ExecAsync("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'one');");
        await _repo.Fx.NewCollectionAsync("pg", targets: db.Target("t"));
        var backup = await _repo.Fx.BackupAsync("pg");
        await db.ExecAsync("DROP TABLE t");

        // Trust authentication ignores the password; it must not come back in the result all the same.
        var destination = $"postgresql://{TestPeers.PgUser}:n0t-echoed@{TestPeers.PgHost}:{TestPeers.PgPort}/{db.Name}";
        var outcome = Assert.Single(await _repo.Fx.RestoreAsync(backup.Id, destination));
        Assert.Null(outcome.Error);
        Assert.Equal((backup.Id, "pg"), (outcome.Result!.BackupId, outcome.Result.Collection));
        Assert.DoesNotContain("n0t-echoed", outcome.Result.Destination);
        Assert.Equal("one", await db.ScalarAsync<string>("SELECT v FROM t"));

        var file = Assert.Single(await _repo.Fx.RestoreAsync((await _repo.BackupAsync()).Id, _repo.Fx.Temp.Combine("files")));
        Assert.Equal("c", file.Result!.Collection);
    }

    [Fact]
    public async Task Errors_about_a_destination_never_carry_its_password()
    {
        await using var db = await PgTestDatabase.CreateAsync("mask");
        await db.ExecAsync("CREATE TABLE t (id int PRIMARY KEY)");
        await _repo.Fx.NewCollectionAsync("pg", targets: db.Target("t"));
        var backup = await _repo.Fx.BackupAsync("pg");
        foreach (var destination in new[]
                 {
                     "postgresql://bk:n0t-echoed@127.0.0.1:1/db",                       // nobody listens
                     "Host=127.0.0.1;Port=1;Username=bk;Password=n0t-echoed;Database=db",
                     "postgresql://bk:n0t-echoed@[not a host/db",                      // not a URI
                 })
        {
            var outcome = Assert.Single(await _repo.Fx.RestoreAsync(backup.Id, destination));
            Assert.NotNull(outcome.Error);
            Assert.DoesNotContain("n0t-echoed", outcome.Error!.Message);
        }
    }
}
