using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers.Capabilities;

/// <summary>
/// A kind whose backups need its continuously archived log: Test-Backup checks that log too
/// (every file from the backup's start to the next base backup or the end of the archive, its size
/// and SHA-256), one finding per stretch.
/// </summary>
public interface IArchivedLogVerification
{
    /// <summary>Verifies the log <paramref name="target"/> of the backup at the end of <paramref name="chain"/> (full first) needs.</summary>
    IAsyncEnumerable<ArtifactVerification> VerifyLogAsync(CollectionScope scope, IReadOnlyList<BackupManifest> chain, TargetRecord target,
        IProgress<BackupProgress>? progress, CancellationToken ct);
}
