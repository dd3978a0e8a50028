namespace PsBackup;

/// <summary>
/// PsBackup's bucket lifecycle for one S3 repository: after how many days (from when an object
/// was written) its backups' data objects move to colder storage classes, and when backups
/// expire. What Get-, Set- and Remove-BackupStorageLifecycle write. The TransitionTo*Days and
/// ExpireAfterDays properties have the names of Set-BackupStorageLifecycle's parameters, so a
/// lifecycle can be piped from one repository to another; null means "not set".
/// </summary>
public sealed class StorageLifecycle
{
    public string Repository { get; set; } = "";
    public string Bucket { get; set; } = "";

    /// <summary>The repository's key prefix in the bucket ("" at the bucket's root).</summary>
    public string Prefix { get; set; } = "";

    /// <summary>True when PsBackup's rules for this repository exist and are enabled.</summary>
    public bool Enabled { get; set; }

    public int? TransitionToStandardIADays { get; set; }
    public int? TransitionToIntelligentTieringDays { get; set; }
    public int? TransitionToOneZoneIADays { get; set; }
    public int? TransitionToGlacierIRDays { get; set; }
    public int? TransitionToGlacierDays { get; set; }
    public int? TransitionToDeepArchiveDays { get; set; }

    /// <summary>Days after which a backup expires (S3 deletes its manifest that day, its data a day later).</summary>
    public int? ExpireAfterDays { get; set; }

    /// <summary>The transitions in order, e.g. "STANDARD_IA after 30 d, GLACIER after 90 d"; "" when none.</summary>
    public string Transitions => string.Join(", ", new (string Class, int? Days)[]
        {
            ("STANDARD_IA", TransitionToStandardIADays), ("INTELLIGENT_TIERING", TransitionToIntelligentTieringDays),
            ("ONEZONE_IA", TransitionToOneZoneIADays), ("GLACIER_IR", TransitionToGlacierIRDays),
            ("GLACIER", TransitionToGlacierDays), ("DEEP_ARCHIVE", TransitionToDeepArchiveDays),
        }
        .Where(t => t.Days != null).OrderBy(t => t.Days).Select(t => $"{t.Class} after {t.Days} d"));

    /// <summary>The ids of PsBackup's lifecycle rules for this repository, comma-separated; "" when there are none.</summary>
    public string RuleIds { get; set; } = "";

    /// <summary>
    /// Ids of the bucket's other lifecycle rules (not PsBackup's) that may also act on this
    /// repository's objects, comma-separated; "" when none. Set-BackupStorageLifecycle keeps them.
    /// </summary>
    public string OtherRules { get; set; } = "";

    public override string ToString() => Repository;
}
