namespace PsBackup;

/// <summary>
/// Progress the engine reports; the cmdlets turn it into Write-Progress. <see cref="Status"/> is
/// the engine's one-line summary ("12 of 40 items, 3.1 MB of 9.8 MB"); the counts are there too.
/// </summary>
public sealed record BackupProgress(string Activity, string Status, string? CurrentItem, long BytesDone, long BytesTotal)
{
    public long ItemsDone { get; init; }

    /// <summary>-1 when the total is not known.</summary>
    public long ItemsTotal { get; init; } = -1;

    /// <summary>The target being backed up, restored or verified; null for work of the whole collection.</summary>
    public string? Target { get; init; }

    /// <summary>Set when several collections are worked on at once (Invoke-Backup of several): each gets a progress bar of its own.</summary>
    public string? Collection { get; init; }

    /// <summary>0–100 from the bytes, else from the items; -1 when neither total is known.</summary>
    public int PercentComplete =>
        BytesTotal > 0 ? (int)Math.Clamp(BytesDone * 100 / BytesTotal, 0, 100)
        : ItemsTotal > 0 ? (int)Math.Clamp(ItemsDone * 100 / ItemsTotal, 0, 100)
        : -1;
}
