using PsBackup.Engine.Errors;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Hostile;

/// <summary>
/// Issue 20, item 3: names and ids are validated where they enter — requests, the command line,
/// every document read — with InvalidName / InvalidBackupId / DocumentCorrupt, never an
/// ArgumentException; nothing outside the repository is read or written.
/// </summary>
public sealed class NameTests : IDisposable
{
    private readonly HostileRepository _repo = new();

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task Every_example_of_the_issue_is_a_clear_error_through_the_engine()
    {
        var backup = await _repo.BackupAsync();
        var engine = _repo.Engine;
        var repository = _repo.Repository;
        var cases = new (string ErrorId, Func<Task> Call)[]
        {
            ("InvalidName", () => engine.InvokeBackupAsync(new BackupRequest("../../x") { Repository = repository })),
            ("InvalidName", () => engine.GetBackupsAsync(new BackupQuery { Repository = repository, Collection = "../collections/h" })),
            ("InvalidBackupId", () => _repo.Fx.RestoreAsync("../../../config", _repo.Fx.Temp.Combine("r"))),
            ("InvalidBackupId", () => _repo.Fx.VerifyAsync($"../backups/{backup.Id}")),
            ("InvalidName", () => engine.RemoveCollectionAsync(repository, "..")),
            ("InvalidName", () => engine.GetCollectionsAsync(repository, "../*")),
            ("InvalidName", () => engine.SetCollectionAsync(new SetCollectionRequest("../c") { Repository = repository })),
            ("InvalidBackupId", () => engine.SetBackupAsync(new SetBackupRequest("../" + backup.Id) { Repository = repository, Pinned = true })),
            ("InvalidName", () => engine.PlanRetentionAsync(new RetentionRequest("c/../c") { Repository = repository, Policy = new RetentionPolicy { KeepLast = 1 } })),
            ("InvalidName", () => Drain(engine.CopyBackupAsync(new CopyRequest("../c", _repo.Fx.Temp.Combine("copy")) { Source = repository }))),
            ("InvalidName", () => Drain(engine.GetTargetStatusAsync(repository, "../c"))),
            ("InvalidName", () => engine.ArchiveLogAsync(new ArchiveLogRequest("../c", "/etc/hostname", "000000010000000000000001") { Repository = repository })),
            ("InvalidName", () => engine.GetRecoveryWindowsAsync(new RecoveryWindowQuery { Repository = repository, Collection = "../c" })),
            ("InvalidName", () => _repo.Fx.NewCollectionAsync("c\n", targets: EngineFixture.Tree("src", _repo.Tree.Root))),
            ("InvalidName", () => _repo.Fx.NewCollectionAsync("ok", targets: EngineFixture.Tree("../x", _repo.Tree.Root))),
        };
        foreach (var (errorId, call) in cases)
            Assert.Equal(errorId, (await HostileRepository.ErrorOf(call)).ErrorId);
        Assert.False(Directory.Exists(_repo.Fx.Temp.Combine("copy")));
        Assert.Single(await _repo.ListAsync());
    }

    [Theory]
    [InlineData("../../etc/hostname")]
    [InlineData("/etc/hostname")]
    [InlineData("src/../../../../../../etc/hostname")]
    [InlineData("src/pack-0.gz\u0000")]
    public async Task An_artifact_path_that_leaves_the_backup_is_refused_before_anything_is_read(string path)
    {
        var backup = await _repo.BackupAsync();
        Tamper.Edit(_repo.Manifest(backup.Id), m => m["targets"]![0]!["artifacts"]![0]!["path"] = path);
        var finding = Assert.Single(await _repo.VerifyAsync(backup.Id));
        Assert.Equal(VerificationStatus.Corrupt, finding.Status);
        Assert.Contains("artifact path", finding.Message);
        Assert.Equal("DocumentCorrupt", (await HostileRepository.ErrorOf(() => _repo.RestoreAsync(backup.Id))).ErrorId);
    }

    [Theory]
    [InlineData("../../../x")]
    [InlineData("manifest.json")]
    [InlineData("")]
    public async Task A_collection_definition_with_a_hostile_target_name_is_refused(string name)
    {
        await _repo.BackupAsync();
        Tamper.Edit(_repo.CollectionJson, c => c["targets"]![0]!["name"] = name);
        foreach (var call in new Func<Task>[] { () => _repo.BackupAsync(), _repo.ListAsync, () => _repo.Engine.GetCollectionsAsync(_repo.Repository, null) })
            Assert.Equal("DocumentCorrupt", (await HostileRepository.ErrorOf(call)).ErrorId);
        Assert.False(Directory.Exists(Path.Combine(_repo.Repository, "x")));
        // -Force removes a collection whose definition cannot be trusted (without touching its targets' servers).
        var warnings = await _repo.Engine.RemoveCollectionAsync(_repo.Repository, "c", force: true);
        Assert.Contains(warnings, w => w.Contains("not valid"));
        Assert.False(Directory.Exists(Path.Combine(_repo.Repository, "collections", "c")));
    }

    [Fact]
    public async Task A_collection_definition_naming_another_collection_is_refused()
    {
        await _repo.BackupAsync();
        Tamper.Edit(_repo.CollectionJson, c => c["name"] = "other");
        Assert.Equal("DocumentCorrupt", (await HostileRepository.ErrorOf(() => _repo.BackupAsync())).ErrorId);
    }

    [Fact]
    public async Task Folders_that_are_not_PsBackup_names_are_not_collections_or_backups()
    {
        var backup = await _repo.BackupAsync();
        Directory.CreateDirectory(Path.Combine(_repo.Repository, "collections", "bad name"));
        File.WriteAllText(Path.Combine(_repo.Repository, "collections", "bad name", "collection.json"), "{}");
        Directory.CreateDirectory(Path.Combine(_repo.Folder(backup.Id), "..", "not-a-backup-id"));
        Assert.Equal(["c"], (await _repo.Engine.GetCollectionsAsync(_repo.Repository, null)).Select(c => c.Name));
        Assert.Equal([backup.Id], (await _repo.ListAsync()).Select(b => b.Id));
    }

    [Fact]
    public async Task The_command_line_refuses_hostile_names_with_an_error_id_and_no_stack_trace()
    {
        var backup = await _repo.BackupAsync();
        foreach (var (args, errorId) in new[]
                 {
                     (new[] { "backup", "../../x" }, "InvalidName"),
                     (new[] { "list", "../collections/h" }, "InvalidName"),
                     (new[] { "restore", "../../../config", _repo.Fx.Temp.Combine("r") }, "InvalidBackupId"),
                     (new[] { "verify", $"../backups/{backup.Id}" }, "InvalidBackupId"),
                     (new[] { "new-collection", "..", _repo.Tree.Root }, "InvalidName"),
                 })
        {
            using var process = CliProcess.Start([.. args, "--repository", _repo.Repository]);
            var stderr = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.Equal(1, process.ExitCode);
            Assert.StartsWith($"error: {errorId}: ", stderr);
            Assert.DoesNotContain("   at ", stderr);
        }
    }

    private static async Task Drain<T>(IAsyncEnumerable<T> items)
    {
        await foreach (var _ in items) { }
    }
}
