using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers;

/// <summary>Everything a provider needs to restore one target as of one backup of its chain.</summary>
public sealed class TargetRestoreContext
{
    private readonly ArtifactReader _reader;
    private readonly IReadOnlyDictionary<string, BackupManifest> _chain;

    internal TargetRestoreContext(ArtifactReader reader, IReadOnlyList<BackupManifest> chain, BackupTarget target,
        string? destination, bool force, IProgress<BackupProgress>? progress,
        string? destinationPath = null, System.Net.NetworkCredential? credential = null, RecoveryTarget? recovery = null)
    {
        _reader = reader;
        _chain = chain.ToDictionary(m => m.Id);
        Chain = chain;
        Head = chain[^1];
        Target = target;
        Destination = destination;
        DestinationPath = destinationPath;
        Force = force;
        Credential = credential;
        Progress = TargetProgress.For(progress, target.Name);
        Recovery = recovery;
    }

    /// <summary>How far to replay the archived log (<see cref="Capabilities.IPointInTimeRecovery"/> kinds); null: to the moment of the backup.</summary>
    public RecoveryTarget? Recovery { get; }

    /// <summary>The backups being restored from, for kinds that read beside them (a log archive).</summary>
    internal ArtifactReader Reader => _reader;


    /// <summary>The backup being restored (the last of its chain).</summary>
    public BackupManifest Head { get; }

    public BackupTarget Target { get; }

    /// <summary>Null restores to the target's original location. As typed: kinds whose destination is an address parse it.</summary>
    public string? Destination { get; }

    /// <summary>
    /// The destination as a full file-system path, set when the kind reads it as a path
    /// (<see cref="EngineKind.IsPathDestination"/>); null otherwise.
    /// </summary>
    public string? DestinationPath { get; }

    /// <summary>The login given for this call at the destination; null: the engine's defaults.</summary>
    public System.Net.NetworkCredential? Credential { get; }

    /// <summary>Overwrite existing data.</summary>
    public bool Force { get; }

    public IProgress<BackupProgress>? Progress { get; }

    /// <summary>How many parts of this target (tables …) may be restored at once.</summary>
    public int ThrottleLimit { get; init; } = 2;

    /// <summary>
    /// The kind's own restore options record (<see cref="EngineKind.RestoreOptionsType"/>) as the
    /// caller gave it; null when none was given.
    /// </summary>
    public object? Options { get; init; }

    /// <summary>The kind's options record, or its defaults when none was given.</summary>
    public T OptionsOr<T>() where T : class, new() => Options as T ?? new T();

    internal List<string> Warnings { get; } = [];

    /// <summary>Something the user should know that does not fail the target (a foreign key left out, owners not restored …).</summary>
    public void Warn(string message)
    {
        lock (Warnings) Warnings.Add(message);
    }

    /// <summary>Every backup of the chain, oldest (the full) first, ending with <see cref="Head"/>.</summary>
    public IReadOnlyList<BackupManifest> Chain { get; }

    public TargetRecord HeadRecord => RecordIn(Head.Id).Record;

    /// <summary>This target's record in any backup of the chain.</summary>
    private (BackupManifest Backup, TargetRecord Record) RecordIn(string backupId)
    {
        if (!_chain.TryGetValue(backupId, out var manifest))
            throw new IntegrityException($"Backup '{Head.Id}' refers to backup '{backupId}', which is not in its chain.");
        var record = manifest.Targets.FirstOrDefault(t => t.Name == Target.Name && t.Status == TargetStatus.Complete)
                     ?? throw new IntegrityException($"Backup '{backupId}' holds no complete copy of target '{Target.Name}'.");
        return (manifest, record);
    }

    /// <summary>Opens an artifact of this target in any backup of the chain. Read it to the end: verification happens there.</summary>
    public Task<Stream> OpenArtifactAsync(string backupId, string name, CancellationToken ct) => OpenArtifactAsync(backupId, name, false, ct);

    /// <summary>
    /// <paramref name="plainCheckedByReader"/>: the caller checks every byte it uses against hashes
    /// of its own, so the artifact's plaintext is not hashed again where the manifest records the
    /// stored bytes' SHA-256 (checked at the end all the same, with both sizes).
    /// </summary>
    public Task<Stream> OpenArtifactAsync(string backupId, string name, bool plainCheckedByReader, CancellationToken ct)
    {
        var (backup, record) = RecordIn(backupId);
        return _reader.OpenAsync(backup, record, name, ct, plainCheckedByReader);
    }
}
