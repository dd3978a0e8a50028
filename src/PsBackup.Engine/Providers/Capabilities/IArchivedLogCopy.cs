namespace PsBackup.Engine.Providers.Capabilities;

/// <summary>
/// A kind whose continuously archived log travels with its backups: Copy-Backup copies the log the
/// copied backups need (or all of it) to the destination repository, verified and idempotent.
/// </summary>
public interface IArchivedLogCopy
{
    /// <summary>
    /// Copies what the destination lacks: the log from the start of the oldest of <paramref name="backups"/>
    /// to the end of the archive, or, with <paramref name="whole"/>, all of it. One result per stretch.
    /// <paramref name="lockDestination"/> takes the destination collection's lock for the moments a
    /// copy changes more than immutable log files.
    /// </summary>
    IAsyncEnumerable<ArchivedLogCopy> CopyLogAsync(CollectionScope source, CollectionScope destination, IReadOnlyList<Repository.BackupManifest> backups, bool whole,
        Func<CancellationToken, Task<IAsyncDisposable>> lockDestination, IProgress<BackupProgress>? progress, CancellationToken ct);
}

/// <summary>One stretch of a log copy: copied, already there, or failed (with the error).</summary>
public sealed record ArchivedLogCopy(string Label, CopyStatus Status, int FilesCopied, int FilesSkipped, long BytesCopied, Errors.PsBackupException? Error = null, string? Message = null);
