using System.Diagnostics;

namespace PsBackup.Engine;

/// <summary>
/// Reports byte progress at most every 200 ms, so a tree of small files does not flood the host.
/// Safe to call from parallel workers.
/// </summary>
internal sealed class ProgressReporter(IProgress<BackupProgress>? progress, string activity, long bytesTotal)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _lastReport = -1_000; // report the first call at once
    private long _bytesDone;
    private int _itemsDone;

    public long BytesDone => Interlocked.Read(ref _bytesDone);

    public void Add(long bytes, string? item) => Report(Interlocked.Add(ref _bytesDone, bytes), item);

    /// <summary>Counts one finished item (file, key …).</summary>
    public void ItemDone() => Interlocked.Increment(ref _itemsDone);

    private void Report(long done, string? item)
    {
        if (progress == null) return;
        var now = _clock.ElapsedMilliseconds;
        var last = Interlocked.Read(ref _lastReport);
        if (now - last < 200 || Interlocked.CompareExchange(ref _lastReport, now, last) != last) return;
        progress.Report(new BackupProgress(activity, $"{Volatile.Read(ref _itemsDone)} items done", item, done, bytesTotal));
    }
}
