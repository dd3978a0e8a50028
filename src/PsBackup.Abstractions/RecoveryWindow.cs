namespace PsBackup;

/// <summary>
/// The span of time a PostgreSQL cluster target can be restored to from one collection:
/// from the end of its earliest base backup to the last commit in the archived WAL that
/// follows without a gap. What Get-BackupRecoveryWindow writes; DR checks and metrics use it.
/// </summary>
public sealed class RecoveryWindow
{
    public string Collection { get; set; } = "";
    public string Target { get; set; } = "";

    /// <summary>End of the earliest base backup: no earlier moment can be recovered. Null without a base backup.</summary>
    public DateTimeOffset? Earliest { get; set; }

    /// <summary>Last commit found in the gap-free archived WAL: no later moment can be recovered. Null without one.</summary>
    public DateTimeOffset? Latest { get; set; }

    /// <summary>Time since <see cref="Latest"/> as of when this object was made: the data that would be lost now (RPO).</summary>
    public TimeSpan? Lag { get; set; }

    /// <summary>Timeline of the newest archived WAL.</summary>
    public int Timeline { get; set; }

    public int BaseBackupCount { get; set; }
    public int WalSegmentCount { get; set; }

    /// <summary>The first WAL segment missing after the earliest base backup while later ones exist; null without a gap.</summary>
    public string? MissingSegment { get; set; }

    public override string ToString() => $"{Collection}/{Target}: {Earliest:u} .. {Latest:u}";
}
