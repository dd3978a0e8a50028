using System.Collections.Concurrent;

namespace PsBackup.Engine.Repository;

/// <summary>
/// A fixed set of background threads, one per core (at least 2), that compress and decode zstd
/// frames for every artifact of the process. On the thread pool, frames queued behind blocked
/// work made the pool add threads, and each added thread kept its stack and caches: peak RSS
/// grew with a long backup's running time. Frame work never waits on anything, so a fixed set
/// cannot deadlock, and it uses every core.
/// </summary>
internal static class CodecThreads
{
    private static readonly BlockingCollection<Action> Queue = Start();

    private static BlockingCollection<Action> Start()
    {
        var queue = new BlockingCollection<Action>();
        for (var i = 0; i < Math.Max(2, Environment.ProcessorCount); i++)
            new Thread(() => { foreach (var work in queue.GetConsumingEnumerable()) work(); }) { IsBackground = true, Name = "PsBackup codec" }.Start();
        return queue;
    }

    public static Task<T> Run<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Queue.Add(() =>
        {
            try { done.SetResult(work()); }
            catch (Exception e) { done.SetException(e); }
        });
        return done.Task;
    }
}
