using System.Collections.Concurrent;

namespace PsBackup.Engine.Repository;

/// <summary>
/// Reusable codec contexts (zstd compressors, decompressors), at most <c>2 × cores + 4</c> kept
/// whatever the thread. A context per thread ([ThreadStatic]) grew with the thread pool: each
/// pool thread that ever compressed a frame kept its context's native workspace.
/// </summary>
internal sealed class ContextPool<T>(Func<T> create) where T : class, IDisposable
{
    private static readonly int Keep = 2 * Environment.ProcessorCount + 4;
    private readonly ConcurrentQueue<T> _idle = new();

    public T Rent() => _idle.TryDequeue(out var context) ? context : create();

    public void Return(T context)
    {
        if (_idle.Count < Keep) _idle.Enqueue(context);
        else context.Dispose();
    }
}
