namespace PsBackup;

/// <summary>Full backups stand alone; incrementals need their parent chain.</summary>
public enum BackupType { Full, Incremental }

/// <summary>
/// How artifacts are compressed before (optional) encryption. Zstd (level 1, independent frames
/// compressed on every core) is the default; Brotli (quality 1) and Gzip stay readable and selectable.
/// </summary>
public enum CompressionKind { Brotli, Gzip, None, Zstd }

/// <summary>
/// Complete: every target succeeded. Partial: at least one target failed and is not restorable from this backup.
/// Corrupt: its manifest (or labels) failed its checks: it is not trusted; Test-Backup says why.
/// </summary>
public enum BackupStatus { Complete, Partial, Corrupt }

/// <summary>Outcome of re-reading one artifact.</summary>
public enum VerificationStatus { Ok, Corrupt, Missing }
