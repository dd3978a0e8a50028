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
    public DateTimeOffset Created { get; set; }

    public override string ToString() => Name;
}
