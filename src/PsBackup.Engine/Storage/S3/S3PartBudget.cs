namespace PsBackup.Engine.Storage.S3;

/// <summary>
/// The part uploads of one store share <see cref="S3StoreOptions.Parallelism"/> slots, whatever
/// object they belong to: one large object gets every slot (as TransferUtility's
/// ConcurrentServiceRequests does), several objects written at once (packs, archived log files) split them.
/// Part buffers are reused across parts and objects instead of leaving a trail of dead 8 MiB
/// arrays for the garbage collector. Buffers alive: at most Parallelism (in flight) plus one per
/// upload being filled, so memory is (Parallelism + uploads open at once) × PartSize.
/// </summary>
internal sealed class S3PartBudget(int parallelism, int partSize) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(Math.Max(1, parallelism));
    private readonly Stack<byte[]> _free = new();

    public int PartSize => partSize;

    /// <summary>Waits for a free slot: back-pressure on the writer while Parallelism parts are in flight.</summary>
    public void TakeSlot(CancellationToken cancellationToken) => _slots.Wait(cancellationToken);

    public void ReleaseSlot() => _slots.Release();

    public byte[] RentBuffer()
    {
        lock (_free) return _free.Count > 0 ? _free.Pop() : new byte[partSize];
    }

    public void ReturnBuffer(byte[] buffer)
    {
        lock (_free) _free.Push(buffer);
    }

    public void Dispose() => _slots.Dispose();
}
