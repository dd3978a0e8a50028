namespace PsBackup;

/// <summary>
/// The continuous span of time a PostgreSQL cluster target can be restored to from one
/// collection: from the end of the earliest base backup whose WAL runs without a gap to the
/// newest one, to the last commit in the archived WAL that follows. What Get-BackupRecoveryWindow writes; DR checks and metrics use it.
/// </summary>
public sealed class RecoveryWindow
{
    public string Collection { get; set; } = "";
    public string Target { get; set; } = "";

    /// <summary>End of the earliest base backup from which the archived WAL runs without a gap to Latest. Null without a restorable base backup.</summary>
    public DateTimeOffset? Earliest { get; set; }

    /// <summary>Last commit found in the gap-free archived WAL: no later moment can be recovered. Null without one.</summary>
    public DateTimeOffset? Latest { get; set; }

    /// <summary>Time since <see cref="Latest"/> as of when this object was made: the data that would be lost now (RPO).</summary>
    public TimeSpan? Lag { get; set; }

    /// <summary>Timeline of the newest archived WAL.</summary>
    public int Timeline { get; set; }

    public int BaseBackupCount { get; set; }
    public int WalSegmentCount { get; set; }

    /// <summary>
    /// The first WAL segment missing (or whose stored object is gone or of the wrong size) after a
    /// restorable base backup while later ones exist; null without a gap. WAL that retention removed on purpose is no gap.
    /// </summary>
    public string? MissingSegment { get; set; }

    public override string ToString() => $"{Collection}/{Target}: {Earliest:u} .. {Latest:u}";
}
