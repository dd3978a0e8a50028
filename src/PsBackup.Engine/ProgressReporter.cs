using System.Diagnostics;

namespace PsBackup.Engine;

/// <summary>Reports byte progress at most every 200 ms, so a tree of small files does not flood the host.</summary>
internal sealed class ProgressReporter(IProgress<BackupProgress>? progress, string activity, long bytesTotal)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _lastReport = -1_000; // report the first call at once

    public long BytesDone { get; private set; }

    public void Add(long bytes, string status, string? item)
    {
        BytesDone += bytes;
        if (progress == null || _clock.ElapsedMilliseconds - _lastReport < 200) return;
        _lastReport = _clock.ElapsedMilliseconds;
        progress.Report(new BackupProgress(activity, status, item, BytesDone, bytesTotal));
    }
}
