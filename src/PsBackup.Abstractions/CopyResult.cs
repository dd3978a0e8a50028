namespace PsBackup;

/// <summary>What became of one backup in a Copy-Backup run.</summary>
public enum CopyStatus { Copied, AlreadyPresent, Failed }

/// <summary>
/// Copy-Backup's result for one backup, or for one stretch of a continuously archived log
/// (<see cref="LogRange"/>): copied, already at the destination, or failed (with the reason in Message).
/// </summary>
public sealed class CopyResult
{
    /// <summary>The backup; empty for a stretch of archived log.</summary>
    public string BackupId { get; set; } = "";
    public string Collection { get; set; } = "";
    public string SourceRepository { get; set; } = "";
    public string DestinationRepository { get; set; } = "";
    public BackupType Type { get; set; }
    public CopyStatus Status { get; set; }

    /// <summary>A stretch of archived log (PostgreSQL WAL), "first..last" (or one file's name); null for a backup.</summary>
    public string? LogRange { get; set; }

    /// <summary>Artifacts (for a log stretch: files) written to the destination by this run.</summary>
    public int ArtifactsCopied { get; set; }

    /// <summary>Artifacts already at the destination with the right stored size and SHA-256 (left from an interrupted run).</summary>
    public int ArtifactsSkipped { get; set; }

    /// <summary>Stored bytes written to the destination by this run.</summary>
    public long BytesCopied { get; set; }

    public TimeSpan Duration { get; set; }
    public string? Message { get; set; }

    public override string ToString() => $"{LogRange ?? BackupId} {Status}";
}
