namespace PsBackup;

/// <summary>
/// Get-BackupTargetStatus: what a target's server holds for its collection, e.g. a PostgreSQL
/// replication slot and the WAL it keeps from being recycled (alert when it grows).
/// </summary>
public sealed class BackupTargetStatus
{
    public string Collection { get; set; } = "";
    public string Target { get; set; } = "";
    public string Kind { get; set; } = "";
    public string Location { get; set; } = "";

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
