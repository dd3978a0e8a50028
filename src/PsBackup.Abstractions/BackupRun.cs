namespace PsBackup;

/// <summary>What a recorded run did (the run journal of a collection).</summary>
public enum RunOperation { Backup, Verify, Drill, Copy, Retention }

/// <summary>
/// How a recorded run ended. Partial: some of its items (targets, backups, artifacts) failed and
/// the others succeeded. Cancelled: stopped by Ctrl+C or by the pipeline before it finished.
/// </summary>
public enum RunOutcome { Succeeded, Partial, Failed, Cancelled }

/// <summary>
/// One run of Invoke-Backup, Test-Backup, a restore drill, Copy-Backup or Invoke-RetentionPolicy
/// as the collection's run journal recorded it: what Get-BackupRun writes. A failed or cancelled
/// backup leaves no backup behind; this record is its only trace.
/// </summary>
public sealed class BackupRun
{
    public string Collection { get; set; } = "";
    public string Repository { get; set; } = "";
    public RunOperation Operation { get; set; }
    public RunOutcome Outcome { get; set; }
    public DateTimeOffset StartTime { get; set; }
    public DateTimeOffset EndTime { get; set; }
    public TimeSpan Duration { get; set; }

    /// <summary>The backup the run made, verified, drilled (Backup, Verify, Drill); null otherwise.</summary>
    public string? BackupId { get; set; }

    /// <summary>Where the run went, when it went somewhere else: Copy-Backup's destination repository, a drill's scratch place.</summary>
    public string? Target { get; set; }

    /// <summary>The PsBackup ErrorId of the first failure (also of a partial run); null when it succeeded.</summary>
    public string? ErrorId { get; set; }

    /// <summary>The first failure's message (secrets masked, at most 1,000 characters).</summary>
    public string? Message { get; set; }

    /// <summary>Bytes of data: captured (Backup), verified (Verify), restored (Drill), copied (Copy), freed (Retention).</summary>
    public long? SizeBytes { get; set; }

    /// <summary>Bytes stored in the repository by a backup; null for other operations.</summary>
    public long? StoredBytes { get; set; }

    /// <summary>Items the run handled: targets (Backup, Drill), artifacts (Verify), backups (Copy, Retention: deleted).</summary>
    public int? ItemCount { get; set; }

    /// <summary>Items that failed (a failed target, a corrupt artifact, a backup not copied).</summary>
    public int? FailedItemCount { get; set; }

    /// <summary>A drill's restore time (its RTO); null for other operations.</summary>
    public TimeSpan? RestoreDuration { get; set; }

    /// <summary>A drill's data loss: time between the newest restorable moment and the drill's start (its RPO); null when not measured.</summary>
    public TimeSpan? DataLoss { get; set; }

    public string Host { get; set; } = "";
    public string User { get; set; } = "";

    /// <summary>The record's name in the journal (its end time, operation, outcome and a random part).</summary>
    public string Id { get; set; } = "";

    public override string ToString() => $"{Collection} {Operation} {Outcome} {EndTime:u}";
}
