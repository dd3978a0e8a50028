namespace PsBackup.Engine.Providers;

/// <summary>
/// How far a restore replays a continuously archived log (Restore-Backup -PointInTime,
/// -TargetLsn, -EndOfArchive), for kinds with <see cref="Capabilities.IPointInTimeRecovery"/>.
/// Null on a restore: to the moment of the backup itself.
/// </summary>
public sealed record RecoveryTarget
{
    public DateTimeOffset? Time { get; init; }

    /// <summary>A position in the kind's log (Restore-Backup -TargetLsn); the kind checks its syntax.</summary>
    public string? Position { get; init; }

    /// <summary>Replay all archived log: the latest recoverable moment.</summary>
    public bool EndOfArchive { get; init; }

    /// <summary>At most one kind of target.</summary>
    public void Validate()
    {
        if ((Time != null ? 1 : 0) + (Position != null ? 1 : 0) + (EndOfArchive ? 1 : 0) > 1)
            throw new Errors.InvalidBackupRequestException("ConflictingRecoveryTargets", "Give at most one of -PointInTime, -TargetLsn and -EndOfArchive.");
    }

    public override string ToString() =>
        Time != null ? $"point in time {Time:yyyy-MM-dd HH:mm:ss.ffffffzzz}" : Position != null ? $"log position {Position}" : "the end of the archived log";
}
