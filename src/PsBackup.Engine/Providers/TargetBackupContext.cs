using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers;

/// <summary>The state an incremental builds on: the nearest earlier backup in which the target succeeded.</summary>
public sealed record BaseBackup(BackupManifest Backup, TargetRecord Record);

/// <summary>Everything a provider needs to back up one target into the backup being written.</summary>
public sealed class TargetBackupContext
{
    private readonly BackupSession _session;

    internal TargetBackupContext(BackupSession session, BackupTarget target, BaseBackup? @base, System.Net.NetworkCredential? credential = null)
    {
        _session = session;
        Target = target;
        Base = @base;
        Credential = credential;
        Progress = TargetProgress.For(session.Progress, target.Name);
    }

    public BackupTarget Target { get; }
    public string Collection => _session.Manifest.Collection;

    /// <summary>The repository's id (config.json): names what engines keep on servers per collection.</summary>
    public string RepositoryId => _session.RepositoryId;

    /// <summary>The collection takes incrementals: engines that must prepare for them (a replication slot …) do so in a full.</summary>
    public bool IncrementalEnabled { get; init; }

    /// <summary>How many parts of this target (tables …) may be read at once.</summary>
    public int ThrottleLimit { get; init; } = 2;

    /// <summary>The newest committed backup in which this target succeeded, full or incremental; null if none.</summary>
    public BaseBackup? Previous { get; init; }

    /// <summary>The login given for this call; null: the engine's defaults (environment, password files).</summary>
    public System.Net.NetworkCredential? Credential { get; }
    public string BackupId => _session.Manifest.Id;
    public BackupType Type => _session.Manifest.Type;

    /// <summary>Null for a full backup.</summary>
    public BaseBackup? Base { get; }

    /// <summary>Reports name this target; verbose messages reach the caller's log.</summary>
    public IProgress<BackupProgress>? Progress { get; }

    internal List<ArtifactRecord> Artifacts { get; } = [];

    /// <summary>The collection being backed up, for providers that keep data beside backups (a log archive).</summary>
    internal BackupSession Session => _session;
    internal List<string> Warnings { get; } = [];

    /// <summary>
    /// Streams one artifact: <paramref name="write"/> writes the plaintext; compression, encryption
    /// and hashing happen on the way. Several artifacts may be written in parallel.
    /// </summary>
    public async Task<ArtifactRecord> WriteArtifactAsync(string name, Func<Stream, Task> write, CancellationToken ct)
    {
        var record = await _session.WriteArtifactAsync(Target.Name, name, write, ct).ConfigureAwait(false);
        lock (Artifacts) Artifacts.Add(record);
        Progress.Verbose($"Target '{Target.Name}': wrote artifact '{record.Path}', {ProgressReporter.Size(record.Size)} ({ProgressReporter.Size(record.StoredSize)} stored).");
        return record;
    }

    /// <summary>Opens an artifact of this target in the base backup. Read it to the end: verification happens there.</summary>
    public Task<Stream> OpenBaseArtifactAsync(string name, CancellationToken ct) =>
        Base == null
            ? throw new InvalidOperationException("A full backup has no base.")
            : _session.Reader.OpenAsync(Base.Backup, Base.Record, name, ct);

    /// <summary>Something the user should know that does not fail the target (a file vanished while being read …).</summary>
    public void Warn(string message)
    {
        lock (Warnings) Warnings.Add(message);
    }
}
