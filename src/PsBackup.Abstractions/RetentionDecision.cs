namespace PsBackup;

/// <summary>What retention does with a backup.</summary>
public enum RetentionAction { Keep, Delete }

/// <summary>
/// Invoke-RetentionPolicy's verdict on one backup (or one unfinished, manifest-less folder),
/// with every reason it is kept. Flat, so Export-Csv gives one useful row per backup.
/// </summary>
public sealed class RetentionDecision
{
    public string BackupId { get; set; } = "";
    public string Collection { get; set; } = "";
    public string Repository { get; set; } = "";
    public BackupType Type { get; set; }
    public DateTimeOffset StartTime { get; set; }

    /// <summary>The backup this incremental builds on; null for a full backup or an unfinished folder.</summary>
    public string? ParentId { get; set; }

    public RetentionAction Action { get; set; }

    /// <summary>Every reason, joined with "; " (e.g. "daily 2026-11-03; weekly 2026-W45; parent of 20261104T…").</summary>
    public string Reasons { get; set; } = "";

    /// <summary>The same reasons as an array.</summary>
    public string[] ReasonList { get; set; } = [];

    public bool Pinned { get; set; }
    public string[] Tags { get; set; } = [];

    /// <summary>A folder without a manifest: a backup that never finished (or a deletion that was interrupted).</summary>
    public bool Unfinished { get; set; }

    /// <summary>True once this run has deleted it; false under -WhatIf, when confirmation was declined, or for kept backups.</summary>
    public bool Deleted { get; set; }

    /// <summary>Bytes the backup occupies in the repository (what deleting it frees).</summary>
    public long StoredBytes { get; set; }

    /// <summary>Restore drill records (Invoke-RestoreDrill's evidence) of this backup: kept with it, deleted with it.</summary>
    public long DrillRecords { get; set; }

    public override string ToString() => $"{BackupId} {Action}";
}
