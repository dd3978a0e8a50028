namespace PsBackup;

/// <summary>What retention does with a backup.</summary>
public enum RetentionAction { Keep, Delete }

/// <summary>
/// Invoke-RetentionPolicy's verdict on one backup (or one unfinished, manifest-less folder), or on
/// one stretch of a continuously archived log (<see cref="LogRange"/>), with every reason it is
/// kept. Flat, so Export-Csv gives one useful row per backup or log stretch.
/// </summary>
public sealed class RetentionDecision
{
    /// <summary>The backup; empty for a stretch of archived log.</summary>
    public string BackupId { get; set; } = "";
    public string Collection { get; set; } = "";
    public string Repository { get; set; } = "";
    /// <summary>The backup's type (Full for a stretch of archived log).</summary>
    public BackupType Type { get; set; }

    /// <summary>When the backup started; for a stretch of archived log, when its first file was archived.</summary>
    public DateTimeOffset StartTime { get; set; }

    /// <summary>The backup this incremental builds on; null for a full backup or an unfinished folder.</summary>
    public string? ParentId { get; set; }

    public RetentionAction Action { get; set; }

    /// <summary>Every reason, joined with "; " (e.g. "daily 2026-11-03; weekly 2026-W45; parent of 20261104T…").</summary>
    public string Reasons { get; set; } = "";

    /// <summary>The same reasons as a list (exports as "a, b").</summary>
    public StringList ReasonList { get; set; } = StringList.Empty;

    public bool Pinned { get; set; }
    public StringList Tags { get; set; } = StringList.Empty;

    /// <summary>A folder without a manifest: a backup that never finished (or a deletion that was interrupted).</summary>
    public bool Unfinished { get; set; }

    /// <summary>True once this run has deleted it; false under -WhatIf, when confirmation was declined, or for kept backups.</summary>
    public bool Deleted { get; set; }

    /// <summary>Bytes the backup (or log stretch) occupies in the repository (what deleting it frees).</summary>
    public long StoredBytes { get; set; }

    /// <summary>Restore drill records (Invoke-RestoreDrill's evidence) of this backup: kept with it, deleted with it.</summary>
    public long DrillRecords { get; set; }

    /// <summary>
    /// A stretch of archived log (PostgreSQL WAL): its first and last file, "first..last" (or one
    /// file's name); null for a backup.
    /// </summary>
    public string? LogRange { get; set; }

    /// <summary>Files in <see cref="LogRange"/>; 0 for a backup.</summary>
    public int LogFileCount { get; set; }

    public override string ToString() => $"{LogRange ?? BackupId} {Action}";
}
