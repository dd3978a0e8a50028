using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers.Capabilities;

/// <summary>
/// A kind that archives its change log continuously between backups, so a restore can stop at any
/// moment (Restore-Backup -PointInTime, -TargetLsn, -EndOfArchive; Get-BackupRecoveryWindow).
/// </summary>
public interface IPointInTimeRecovery
{
    /// <summary>Checks the kind's part of a recovery target (the syntax of a log position); throws InvalidBackupRequestException.</summary>
    void ValidateRecoveryTarget(RecoveryTarget recovery);

    /// <summary>True when this target's copy in a backup (<paramref name="record"/>) ends at or before log position <paramref name="position"/>.</summary>
    bool EndsBefore(TargetRecord record, string position);

    /// <summary>Stores one log file the server hands over (archive_command): true when stored, false when the identical file was already there.</summary>
    Task<bool> ArchiveLogAsync(CollectionScope scope, string file, string name, CancellationToken ct);

    /// <summary>
    /// The server's configuration line that runs <paramref name="command"/> (shell syntax) for each
    /// finished log file, the server appending the file's path and name as two arguments.
    /// </summary>
    (string Command, string ConfigurationLine) ArchiveSetting(string command);

    /// <summary>The earliest and latest moment <paramref name="target"/> can be recovered to from <paramref name="backups"/> (oldest first) and the archived log.</summary>
    Task<RecoveryWindow> GetWindowAsync(CollectionScope scope, BackupTarget target, IReadOnlyList<BackupManifest> backups, CancellationToken ct);
}
