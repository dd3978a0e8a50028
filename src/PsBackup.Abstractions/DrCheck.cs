namespace PsBackup;

/// <summary>How one disaster-recovery check came out.</summary>
public enum DrCheckStatus { Pass, Warn, Fail }

/// <summary>
/// One check of Test-DrEnvironment: a repository, a collection's backups and drills, the archived
/// log, a target's server or replica. Flat, so Export-Csv gives one row per check and a Pester
/// drill is <c>Test-DrEnvironment | Where-Object Status -eq Fail | Should -BeNullOrEmpty</c>.
/// </summary>
public sealed class DrCheck
{
    /// <summary>What was checked: RepositoryReachable, LockNotStale, CollectionPresent, LatestBackupAge, DrCopyLag, LastDrill, DrillRto, ArchiveContinuity, ArchiveLag, TargetReachable, Replica.</summary>
    public string Check { get; set; } = "";

    /// <summary>The collection; empty for a repository-wide check.</summary>
    public string Collection { get; set; } = "";

    /// <summary>The target (with the server for a replica: name@host:port); empty when the check is about the collection or repository.</summary>
    public string Target { get; set; } = "";

    /// <summary>The repository the check read (the primary or the DR copy); empty for a check of a server.</summary>
    public string Repository { get; set; } = "";

    public DrCheckStatus Status { get; set; }

    /// <summary>What was found (an age, a lag, a role …), as text.</summary>
    public string Observed { get; set; } = "";

    /// <summary>What passes (≤ 1.00:00:00, streaming …); empty when the check has no threshold.</summary>
    public string Expected { get; set; } = "";

    /// <summary>A sentence for the operator: why it passed or failed and what to do.</summary>
    public string Message { get; set; } = "";

    public override string ToString() => $"{Status} {Check} {Collection}/{Target}: {Message}";
}
