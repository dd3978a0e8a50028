namespace PsBackup;

/// <summary>Progress the engine reports; the cmdlets turn it into Write-Progress.</summary>
public sealed record BackupProgress(string Activity, string Status, string? CurrentItem, long BytesDone, long BytesTotal)
{
    /// <summary>0–100, or -1 when the total is not known.</summary>
    public int PercentComplete => BytesTotal <= 0 ? -1 : (int)Math.Clamp(BytesDone * 100 / BytesTotal, 0, 100);
}
