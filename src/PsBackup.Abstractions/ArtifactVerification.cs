namespace PsBackup;

/// <summary>Test-Backup's finding for one artifact of a backup or of its chain.</summary>
public sealed class ArtifactVerification
{
    /// <summary>The backup that was tested (the head of the chain).</summary>
    public string BackupId { get; set; } = "";

    /// <summary>The backup the artifact belongs to (the head itself or one of its parents).</summary>
    public string ArtifactBackupId { get; set; } = "";

    public string Collection { get; set; } = "";
    public string Target { get; set; } = "";
    public string Artifact { get; set; } = "";
    public VerificationStatus Status { get; set; }
    public long SizeBytes { get; set; }
    public long StoredBytes { get; set; }
    public string ExpectedSha256 { get; set; } = "";
    public string? ActualSha256 { get; set; }
    public string? Message { get; set; }
}
