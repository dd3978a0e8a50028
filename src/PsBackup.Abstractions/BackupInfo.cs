namespace PsBackup;

/// <summary>A committed backup: what Get-Backup and Invoke-Backup write to the pipeline.</summary>
public sealed class BackupInfo
{
    public string Id { get; set; } = "";
    public string Collection { get; set; } = "";
    public string Repository { get; set; } = "";
    public BackupType Type { get; set; }
    public DateTimeOffset StartTime { get; set; }
    public DateTimeOffset EndTime { get; set; }
    public TimeSpan Duration => EndTime - StartTime;

    /// <summary>Time since the backup finished, as of when this object was created.</summary>
    public TimeSpan Age { get; set; }

    /// <summary>The backup this incremental builds on; null for a full backup.</summary>
    public string? ParentId { get; set; }

    public int TargetCount { get; set; }
    public int FailedTargetCount { get; set; }

    /// <summary>Bytes of data captured (before compression and encryption).</summary>
    public long SizeBytes { get; set; }

    /// <summary>Bytes this backup occupies in the repository.</summary>
    public long StoredBytes { get; set; }

    public BackupStatus Status { get; set; }
    public bool Encrypted { get; set; }
    public CompressionKind Compression { get; set; }

    /// <summary>Pinned backups are never deleted by Invoke-RetentionPolicy (Set-Backup -Pinned).</summary>
    public bool Pinned { get; set; }

    /// <summary>Labels set with Set-Backup -Tag; a retention policy's KeepTags keeps backups that carry one. Exports as "a, b".</summary>
    public StringList Tags { get; set; } = StringList.Empty;

    /// <summary>When this backup was last proven by a restore drill (Invoke-RestoreDrill); null when never.</summary>
    public DateTimeOffset? LastDrillTime { get; set; }

    /// <summary>How that drill ended (Failed when any drilled target failed); null when never drilled.</summary>
    public DrillStatus? LastDrillStatus { get; set; }

    public override string ToString() => Id;
}
