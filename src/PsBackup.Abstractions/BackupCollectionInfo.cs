namespace PsBackup;

/// <summary>A named set of targets backed up together into one repository.</summary>
public sealed class BackupCollectionInfo
{
    public string Name { get; set; } = "";
    public string Repository { get; set; } = "";
    public BackupTarget[] Targets { get; set; } = [];
    public int TargetCount => Targets.Length;
    public bool IncrementalBackupEnabled { get; set; }
    public CompressionKind Compression { get; set; }
    public bool Encrypted { get; set; }

    /// <summary>S3 storage class of data objects (null: the bucket's default).</summary>
    public string? StorageClass { get; set; }

    /// <summary>S3 server-side encryption of data objects: AES256, aws:kms or null.</summary>
    public string? ServerSideEncryption { get; set; }

    public DateTimeOffset Created { get; set; }

    /// <summary>The policy Invoke-RetentionPolicy applies when given none; null when the collection has none.</summary>
    public RetentionPolicy? RetentionPolicy { get; set; }

    public override string ToString() => Name;
}
