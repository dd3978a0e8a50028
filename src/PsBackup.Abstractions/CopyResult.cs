namespace PsBackup;

/// <summary>What became of one backup in a Copy-Backup run.</summary>
public enum CopyStatus { Copied, AlreadyPresent, Failed }

/// <summary>Copy-Backup's result for one backup: copied, already at the destination, or failed (with the reason in Message).</summary>
public sealed class CopyResult
{
    public string BackupId { get; set; } = "";
    public string Collection { get; set; } = "";
    public string SourceRepository { get; set; } = "";
    public string DestinationRepository { get; set; } = "";
    public BackupType Type { get; set; }
    public CopyStatus Status { get; set; }

    /// <summary>Artifacts written to the destination by this run.</summary>
    public int ArtifactsCopied { get; set; }

    /// <summary>Artifacts already at the destination with the right stored size and SHA-256 (left from an interrupted run).</summary>
    public int ArtifactsSkipped { get; set; }

    /// <summary>Stored bytes written to the destination by this run.</summary>
    public long BytesCopied { get; set; }

    public TimeSpan Duration { get; set; }
    public string? Message { get; set; }

    public override string ToString() => $"{BackupId} {Status}";
}
