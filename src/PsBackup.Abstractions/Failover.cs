namespace PsBackup;

/// <summary>How one step of Start-Failover ended.</summary>
public enum FailoverStepStatus { Done, Skipped, Refused, Failed }

/// <summary>One step of Start-Failover (Assess, BeforePromote, Reassess, Promote, Verify, Repoint, AfterPromote, Backup), written as it ends.</summary>
public sealed class FailoverStep
{
    public string Step { get; set; } = "";
    public string Collection { get; set; } = "";
    public string Target { get; set; } = "";
    public FailoverStepStatus Status { get; set; }
    public TimeSpan Duration { get; set; }

    /// <summary>What the step saw or did (positions, lag, the server promoted, the backup id), or why it stopped.</summary>
    public string Detail { get; set; } = "";

    public override string ToString() => $"{Step} {Target}: {Status} ({Detail})";
}

/// <summary>Start-Failover's last object: what was promoted, what it cost, and the new chain.</summary>
public sealed class FailoverSummary
{
    public string Collection { get; set; } = "";
    public string Target { get; set; } = "";

    /// <summary>The server the target pointed at before (recorded in the collection's failover history).</summary>
    public string OldPrimary { get; set; } = "";

    /// <summary>The promoted server the collection now points at.</summary>
    public string NewPrimary { get; set; } = "";

    /// <summary>Whether the old primary answered when the failover started.</summary>
    public bool OldPrimaryReachable { get; set; }

    /// <summary>The estimate of the data lost, in bytes of the server's log (null: unknown, accepted with -Force).</summary>
    public long? EstimatedDataLossBytes { get; set; }

    /// <summary>How the estimate was made (the primary's position, or what the archive holds when the primary is gone).</summary>
    public string DataLossBasis { get; set; } = "";

    /// <summary>Measured from the start of the assessment until the promoted server took a write and the hooks ran: the failover's RTO.</summary>
    public TimeSpan FailoverTime { get; set; }

    /// <summary>The first backup of the new chain (empty when it failed: see the Backup step).</summary>
    public string NewBackupId { get; set; } = "";

    public DateTimeOffset StartTime { get; set; }
    public DateTimeOffset EndTime { get; set; }

    public override string ToString() => $"{Collection}/{Target}: {OldPrimary} -> {NewPrimary} in {FailoverTime}";
}
