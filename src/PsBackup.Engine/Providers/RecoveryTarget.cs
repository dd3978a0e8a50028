namespace PsBackup.Engine.Providers;

/// <summary>
/// How far a restore of a cluster target replays WAL (Restore-Backup -PointInTime, -TargetLsn,
/// -EndOfArchive). Null on a restore: to the moment of the backup itself.
/// </summary>
public sealed record RecoveryTarget
{
    public DateTimeOffset? Time { get; init; }

    /// <summary>A WAL location such as 0/3000028.</summary>
    public string? Lsn { get; init; }

    /// <summary>Replay all archived WAL: the latest recoverable moment.</summary>
    public bool EndOfArchive { get; init; }

    /// <summary>At most one kind of target.</summary>
    public void Validate()
    {
        if ((Time != null ? 1 : 0) + (Lsn != null ? 1 : 0) + (EndOfArchive ? 1 : 0) > 1)
            throw new Errors.InvalidBackupRequestException("ConflictingRecoveryTargets", "Give at most one of -PointInTime, -TargetLsn and -EndOfArchive.");
        if (Lsn != null) PostgreSql.Cluster.Lsn.Parse(Lsn);
    }

    public override string ToString() =>
        Time != null ? $"point in time {Time:yyyy-MM-dd HH:mm:ss.ffffffzzz}" : Lsn != null ? $"LSN {Lsn}" : "the end of the archived WAL";
}
