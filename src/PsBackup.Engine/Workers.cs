using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace PsBackup.Engine;

/// <summary>
/// Runs work items on a fixed number of workers taking from one queue. The first failure cancels
/// the others and is what the caller sees (not the cancellations it caused).
/// </summary>
internal static class Workers
{
    public static async Task RunAsync<T>(IEnumerable<T> items, int workers, Func<T, CancellationToken, Task> work, CancellationToken ct)
    {
        var queue = new ConcurrentQueue<T>(items);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var tasks = Enumerable.Range(0, Math.Max(1, Math.Min(workers, queue.Count))).Select(_ => Task.Run(async () =>
        {
            try
            {
                while (queue.TryDequeue(out var item))
                {
                    failed.Token.ThrowIfCancellationRequested();
                    await work(item, failed.Token).ConfigureAwait(false);
                }
            }
            catch
            {
                failed.Cancel();
                throw;
            }
        }, CancellationToken.None)).ToArray();
        await WhenAllAsync(tasks).ConfigureAwait(false);
    }

    /// <summary>A part that fails cancels the others (which would otherwise wait on it).</summary>
    public static async Task Guard(Task task, CancellationTokenSource failed)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch
        {
            failed.Cancel();
            throw;
        }
    }

    /// <summary>Waits for every part; rethrows the failure that stopped them rather than the cancellations it caused.</summary>
    public static async Task WhenAllAsync(IReadOnlyCollection<Task> tasks)
    {
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            var cause = tasks.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!).FirstOrDefault(e => e is not OperationCanceledException);
            if (cause != null) ExceptionDispatchInfo.Throw(cause);
            throw;
        }
    }
}
