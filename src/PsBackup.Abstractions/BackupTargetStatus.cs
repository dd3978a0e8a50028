namespace PsBackup;

/// <summary>
/// Get-BackupTargetStatus, one per target: whether it answers with the login, its replication
/// (role, lag) where its kind replicates, and what its server holds for the collection, e.g. a
/// PostgreSQL replication slot and the WAL it keeps from being recycled (alert when it grows).
/// </summary>
public sealed class BackupTargetStatus
{
    public string Collection { get; set; } = "";
    public string Target { get; set; } = "";
    public string Kind { get; set; } = "";
    public string Location { get; set; } = "";

    /// <summary>The target answered a backup's first reads with the login given; when false, <see cref="ErrorId"/> and <see cref="Message"/> say why.</summary>
    public bool Reachable { get; set; }

    /// <summary>Why it is not reachable: TargetUnavailable, TargetAuthenticationFailed …; empty when reachable.</summary>
    public string ErrorId { get; set; } = "";

    /// <summary>For kinds that replicate: the role of each server of the target (primary, secondary, standalone …); empty otherwise.</summary>
    public string Role { get; set; } = "";

    /// <summary>For kinds that replicate: the largest lag of a replica behind its primary; null when unknown or nothing replicates.</summary>
    public TimeSpan? ReplicationLag { get; set; }

    /// <summary>The replication slot the next incremental reads; empty when the target keeps none.</summary>
    public string ReplicationSlot { get; set; } = "";

    public bool SlotActive { get; set; }

    /// <summary>Bytes of WAL the server keeps for the slot (pg_current_wal_lsn() - restart_lsn).</summary>
    public long RetainedWalBytes { get; set; }

    /// <summary>PostgreSQL's wal_status of the slot: reserved, extended, unreserved or lost.</summary>
    public string WalStatus { get; set; } = "";

    /// <summary>Other slots of this target (left by a failed or superseded full; the next backup drops them).</summary>
    public int StaleSlots { get; set; }

    public string Message { get; set; } = "";
}
