using PsBackup.Engine.Errors;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Hostile;

/// <summary>A repository to damage: collection "c" (gzip, incrementals) over a small tree, and shortcuts to its documents and operations.</summary>
public sealed class HostileRepository : IDisposable
{
    public HostileRepository(string passphrase = "")
    {
        Tree = new TreeBuilder(Fx.Temp.Combine("src")).File("a.txt", "alpha").RandomFile("b.bin", 50_000, 3).File("sub/c.txt", "c").TouchDirectories();
        Passphrase = passphrase.Length == 0 ? null : passphrase;
        Fx.NewCollectionAsync("c", passphrase, compression: CompressionKind.Gzip, targets: EngineFixture.Tree("src", Tree.Root)).GetAwaiter().GetResult();
    }

    public EngineFixture Fx { get; } = new();
    public TreeBuilder Tree { get; }
    public string? Passphrase { get; }
    public string Repository => Fx.Repository;
    public BackupEngine Engine => Fx.Engine;

    public string CollectionJson => Path.Combine(Repository, "collections", "c", "collection.json");
    public string Folder(string id) => Path.Combine(Repository, "collections", "c", "backups", id);
    public string Manifest(string id) => Path.Combine(Folder(id), "manifest.json");

    public Task<BackupInfo> BackupAsync(BackupType type = BackupType.Full) => Fx.BackupAsync("c", type, Passphrase);

    public async Task<BackupInfo> ChangeAndBackupAsync(BackupType type)
    {
        Tree.File("a.txt", "alpha " + Guid.NewGuid()).TouchDirectories();
        return await BackupAsync(type);
    }

    public Task<List<ArtifactVerification>> VerifyAsync(string id) => Fx.VerifyAsync(id, Passphrase);

    public async Task<RestoreOutcome> RestoreAsync(string id, string? destination = null) =>
        Assert.Single(await Fx.RestoreAsync(id, destination ?? Fx.Temp.Combine("restore-" + Guid.NewGuid().ToString("N")[..6]), passphrase: Passphrase));

    public Task<List<BackupInfo>> ListAsync() => Engine.GetBackupsAsync(new BackupQuery { Repository = Repository, Collection = "c" });

    public async Task<List<RetentionDecision>> PlanRetentionAsync() =>
        await Engine.PlanRetentionAsync(new RetentionRequest("c") { Repository = Repository, Policy = new RetentionPolicy { KeepLast = 1 } });

    /// <summary>Runs <paramref name="action"/> and returns its PsBackup error (failing the test on success or on any other exception).</summary>
    public static async Task<PsBackupException> ErrorOf(Func<Task> action) => await Assert.ThrowsAnyAsync<PsBackupException>(action);

    public void Dispose() => Fx.Dispose();
}
