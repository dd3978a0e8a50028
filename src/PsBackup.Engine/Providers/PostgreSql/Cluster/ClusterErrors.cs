using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Providers.PostgreSql.Cluster;

// Errors of PostgreSQL cluster targets: WAL archiving and point-in-time recovery.

public sealed class WalSegmentConflictException(string message)
    : PsBackupException("WalSegmentConflict", ErrorKind.AlreadyExists, message);

public sealed class WalSegmentMissingException(string name, string collection, string why)
    : PsBackupException("WalSegmentMissing", ErrorKind.NotFound,
        $"WAL file '{name}' of collection '{collection}' is needed but {why}. Check archive_command (the PostgreSQL log says why it failed) " +
        "and take a new full backup to start a gap-free chain.")
{
    public string Segment { get; } = name;
}

public sealed class RecoveryTargetOutOfRangeException(string message)
    : PsBackupException("RecoveryTargetOutOfRange", ErrorKind.InvalidArgument, message);

public sealed class WalArchivingOffException(string message)
    : PsBackupException("WalArchivingOff", ErrorKind.InvalidArgument, message);
