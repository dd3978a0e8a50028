namespace PsBackup;

/// <summary>How a restore drill of one target ended: its data came back as recorded (and within the objectives given), or not.</summary>
public enum DrillStatus { Passed, Failed }

/// <summary>
/// One restore drill of one target (Invoke-RestoreDrill, Get-RestoreDrill): the backup restored
/// into a scratch place, the data checked against what the backup recorded, the times measured.
/// Flat, so Export-Csv gives one useful row per drill and Pester asserts on its properties.
/// </summary>
public sealed class RestoreDrillResult
{
    /// <summary>The drill run (one id for every target drilled by one Invoke-RestoreDrill of a collection).</summary>
    public string DrillId { get; set; } = "";

    public string Collection { get; set; } = "";
    public string Target { get; set; } = "";

    /// <summary>The target's kind, as in the collection (fileTree, postgreSql …).</summary>
    public string Kind { get; set; } = "";

    /// <summary>The backup restored (for a point in time: the one recovery started from).</summary>
    public string BackupId { get; set; } = "";

    public string Repository { get; set; } = "";

    /// <summary>When the drill of this target started.</summary>
    public DateTimeOffset StartTime { get; set; }

    /// <summary>The measured recovery time (RTO): from the start of the restore until the data could serve (a server started and recovered, where one is needed).</summary>
    public TimeSpan RestoreDuration { get; set; }

    /// <summary>The whole drill: scratch place, restore, checks and clean-up.</summary>
    public TimeSpan Duration { get; set; }

    /// <summary>The newest moment the restored data holds: the backup's end, or the last replayed commit of a continuously archived log.</summary>
    public DateTimeOffset? RestoredPointInTime { get; set; }

    /// <summary>The measured recovery point (RPO): when the restore finished minus <see cref="RestoredPointInTime"/>.</summary>
    public TimeSpan? DataLoss { get; set; }

    /// <summary>-MaxRto of the drill; null when none was given.</summary>
    public TimeSpan? MaxRto { get; set; }

    /// <summary>-MaxRpo of the drill; null when none was given.</summary>
    public TimeSpan? MaxRpo { get; set; }

    /// <summary>How far a point-in-time kind recovered ("the end of the archived log", a point in time); empty for the others.</summary>
    public string Recovery { get; set; } = "";

    public int ChecksPassed { get; set; }
    public int ChecksFailed { get; set; }

    public DrillStatus Status { get; set; }

    /// <summary>Why the drill failed (the failed checks, the restore's error, a missed objective); empty when it passed.</summary>
    public string Reason { get; set; } = "";

    /// <summary>The engine's ErrorId of the failure (RestoreDrillFailed, RestoreDrillObjectiveMissed, ArtifactCorrupt …); empty when it passed.</summary>
    public string ErrorId { get; set; } = "";

    /// <summary>Where the drill restored to (credentials masked); with -KeepRestored the data is still there.</summary>
    public string RestoredTo { get; set; } = "";

    /// <summary>Whether the restored data was kept (-KeepRestored) rather than removed.</summary>
    public bool Kept { get; set; }

    /// <summary>Every comparison the drill made, in order (exports as a summary: "12 passed", or the failed checks' names).</summary>
    public RestoreDrillCheckList CheckList { get; set; } = RestoreDrillCheckList.Empty;

    public override string ToString() => $"{Collection}/{Target} {BackupId} {Status}";
}

/// <summary>One comparison of a restore drill: what the backup recorded and what the restored data showed.</summary>
public sealed class RestoreDrillCheck
{
    public string Name { get; set; } = "";
    public string Expected { get; set; } = "";
    public string Observed { get; set; } = "";
    public bool Passed { get; set; }

    public override string ToString() => $"{Name}: {(Passed ? "passed" : "FAILED")} (expected {Expected}, observed {Observed})";
}
