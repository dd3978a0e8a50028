using PsBackup.Engine.Operations;

namespace PsBackup.Engine.Tests.Support;

/// <summary>A repository in a temp directory and an engine with a fast KDF, plus shortcuts for the common calls.</summary>
public sealed class EngineFixture : IDisposable
{
    public EngineFixture()
    {
        Temp = new TempDirectory("engine");
        Repository = Temp.Combine("repo");
        Engine = new BackupEngine(new EngineOptions { KdfIterations = 1000 });
    }

    public TempDirectory Temp { get; }
    public string Repository { get; }
    public BackupEngine Engine { get; }

    public Task<BackupCollectionInfo> NewCollectionAsync(string name, string passphrase = "", bool incremental = true,
        CompressionKind compression = CompressionKind.Zstd, params BackupTarget[] targets) =>
        Engine.NewCollectionAsync(new NewCollectionRequest(name, targets)
        {
            Repository = Repository,
            IncrementalBackupEnabled = incremental,
            Compression = compression,
            Passphrase = passphrase.Length == 0 ? null : passphrase,
        });

    public async Task<BackupInfo> BackupAsync(string collection, BackupType type = BackupType.Full, string? passphrase = null)
    {
        var result = await Engine.InvokeBackupAsync(new BackupRequest(collection) { Repository = Repository, Type = type, Passphrase = passphrase });
        Assert.Empty(result.Failures);
        return result.Backup;
    }

    public async Task<List<RestoreOutcome>> RestoreAsync(string id, string? destination, bool force = false, string? passphrase = null,
        Providers.RecoveryTarget? recovery = null)
    {
        var outcomes = new List<RestoreOutcome>();
        await foreach (var outcome in Engine.RestoreAsync(new RestoreRequest(id) { Repository = Repository, Destination = destination, Force = force, Passphrase = passphrase, Recovery = recovery }))
            outcomes.Add(outcome);
        return outcomes;
    }

    public async Task<List<ArtifactVerification>> VerifyAsync(string id, string? passphrase = null)
    {
        var findings = new List<ArtifactVerification>();
        await foreach (var finding in Engine.TestBackupAsync(new VerifyRequest(id) { Repository = Repository, Passphrase = passphrase }))
            findings.Add(finding);
        return findings;
    }

    public static FileTreeTarget Tree(string name, string path, string[]? include = null, string[]? exclude = null) =>
        new() { Name = name, Path = path, Include = include ?? [], Exclude = exclude ?? [] };

    public void Dispose() => Temp.Dispose();
}
