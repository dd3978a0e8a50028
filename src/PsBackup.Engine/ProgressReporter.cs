using System.Diagnostics;

namespace PsBackup.Engine;

/// <summary>
/// Reports bytes and items done at most every 200 ms, so a tree of small files does not flood the
/// host, plus once at the end (<see cref="Complete"/>). Safe to call from parallel workers.
/// Totals of -1 are unknown.
/// </summary>
internal sealed class ProgressReporter(IProgress<BackupProgress>? progress, string activity, long bytesTotal, long itemsTotal = -1)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _lastReport = -1_000; // report the first call at once
    private long _bytesDone;
    private long _itemsDone;
    private string? _lastItem;

    public long BytesDone => Interlocked.Read(ref _bytesDone);

    public void Add(long bytes, string? item)
    {
        Interlocked.Add(ref _bytesDone, bytes);
        Report(item, force: false);
    }

    /// <summary>Counts one finished item (file, table, key, artifact …).</summary>
    public void ItemDone(string? item = null)
    {
        Interlocked.Increment(ref _itemsDone);
        Report(item, force: false);
    }

    /// <summary>Reports the final counts, whatever the time since the last report.</summary>
    public void Complete() => Report(null, force: true);

    private void Report(string? item, bool force)
    {
        if (progress == null) return;
        if (item != null) Volatile.Write(ref _lastItem, item);
        var now = _clock.ElapsedMilliseconds;
        var last = Interlocked.Read(ref _lastReport);
        if (!force && (now - last < 200 || Interlocked.CompareExchange(ref _lastReport, now, last) != last)) return;
        long bytes = BytesDone, items = Interlocked.Read(ref _itemsDone);
        progress.Report(new BackupProgress(activity, Status(bytes, items), item ?? Volatile.Read(ref _lastItem), bytes, bytesTotal)
        {
            ItemsDone = items,
            ItemsTotal = itemsTotal,
        });
    }

    private string Status(long bytes, long items) =>
        (itemsTotal >= 0 ? $"{items:N0} of {itemsTotal:N0} items" : $"{items:N0} items")
        + ", " + (bytesTotal >= 0 ? $"{Size(bytes)} of {Size(bytesTotal)}" : Size(bytes));

    /// <summary>Bytes for people: 512 B, 3.1 KB, 9.8 MB, 1.2 GB (powers of 1024, as Get-ChildItem users read them).</summary>
    internal static string Size(long bytes)
    {
        string[] units = ["B", "KB", "MB", "GB", "TB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1) { value /= 1024; unit++; }
        return unit == 0 ? $"{bytes} B" : $"{value:0.0} {units[unit]}";
    }
}
