namespace PsBackup;

/// <summary>What Restore-Backup wrote for one target.</summary>
public sealed class RestoreResult
{
    public string BackupId { get; set; } = "";
    public string Collection { get; set; } = "";
    public string Target { get; set; } = "";
    public string Destination { get; set; } = "";
    public long ItemCount { get; set; }
    public long SizeBytes { get; set; }
    public TimeSpan Duration { get; set; }
}
