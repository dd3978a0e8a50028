using Newtonsoft.Json.Linq;

namespace PsBackup.Engine.Providers;

/// <summary>
/// What every engine (file trees, PostgreSQL, Redis, MongoDB) implements. The repository side —
/// locking, compression, encryption, hashing, manifests — is done for it by the contexts.
/// </summary>
public interface IBackupProvider
{
    TargetKind Kind { get; }

    /// <summary>False for engines whose every backup is complete (Redis): an incremental then needs no earlier backup of the target.</summary>
    bool IncrementalNeedsBase => true;

    /// <summary>Checks the target is reachable and readable; throws a PsBackupException naming the problem.</summary>
    Task TestConnectionAsync(BackupTarget target, CancellationToken ct);

    /// <summary>
    /// Writes the target's artifacts (full, or incremental from <see cref="TargetBackupContext.Base"/>)
    /// and returns the engine state the next incremental starts from.
    /// </summary>
    Task<JObject> BackupAsync(TargetBackupContext context, CancellationToken ct);

    /// <summary>Reproduces the target as of the context's backup, at the original location or the context's destination.</summary>
    Task<RestoreResult> RestoreAsync(TargetRestoreContext context, CancellationToken ct);
}
