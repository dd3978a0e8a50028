namespace PsBackup.Engine;

/// <summary>
/// Runs a long, blocking loop (a tree walk, a pack's reads, a stream's consumer) on a thread of
/// its own rather than on the thread pool. Blocked pool threads make the pool add threads, and
/// on a long run or a busy machine each added thread kept its stack and caches: memory grew
/// with the running time. A fixed number of dedicated threads does not grow.
/// </summary>
internal static class DedicatedThread
{
    public static Task Run(Action work, CancellationToken ct = default) =>
        Task.Factory.StartNew(work, ct, TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);

    public static Task<T> Run<T>(Func<T> work, CancellationToken ct = default) =>
        Task.Factory.StartNew(work, ct, TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);

    /// <summary>Waits for a value task on the calling (dedicated) thread.</summary>
    public static void Wait(ValueTask task)
    {
        if (task.IsCompletedSuccessfully) return;
        task.AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Waits for a value task on the calling (dedicated) thread.</summary>
    public static T Wait<T>(ValueTask<T> task) => task.IsCompletedSuccessfully ? task.Result : task.AsTask().GetAwaiter().GetResult();
}
