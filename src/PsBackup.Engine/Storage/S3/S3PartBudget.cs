namespace PsBackup.Engine.Storage.S3;

/// <summary>
/// The transfers of one store share <see cref="S3StoreOptions.Parallelism"/> slots, whatever
/// object they belong to: part uploads and ranged downloads alike. One large object gets every
/// slot (as TransferUtility's ConcurrentServiceRequests does); several objects moved at once
/// (packs, archived log files) split them. A slot is held only while a request carries a part's
/// body, so no reader or writer can starve another by holding one.
/// Part buffers are reused across parts, ranges and objects instead of leaving a trail of dead
/// 8 MiB arrays for the garbage collector. Buffers alive: at most Parallelism parts in flight plus
/// one per upload being filled; for reads, at most Parallelism ranges ahead over all of them (the
/// read-ahead tokens) plus two per large read (the range being read, the one it needs next).
/// </summary>
internal sealed class S3PartBudget(int parallelism, int partSize) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(Math.Max(1, parallelism));
    private readonly SemaphoreSlim _readAhead = new(Math.Max(1, parallelism));
    private readonly Stack<byte[]> _free = new();
    private int _allocated;

    public int PartSize => partSize;

    /// <summary>The slots: parts or ranges in flight at once.</summary>
    public int Parallelism => Math.Max(1, parallelism);

    /// <summary>Slots not taken now (tests: every slot comes back after a cancelled transfer).</summary>
    internal int FreeSlots => _slots.CurrentCount;

    /// <summary>Read-ahead tokens not taken now (tests: every token comes back).</summary>
    internal int FreeReadAhead => _readAhead.CurrentCount;

    /// <summary>Part buffers ever allocated (tests: memory stays bounded).</summary>
    internal int BuffersAllocated => Volatile.Read(ref _allocated);

    /// <summary>Part buffers waiting in the pool (tests: every buffer comes back).</summary>
    internal int BuffersFree { get { lock (_free) return _free.Count; } }

    /// <summary>Waits for a free slot: back-pressure on the writer while Parallelism parts are in flight.</summary>
    public void TakeSlot(CancellationToken cancellationToken) => _slots.Wait(cancellationToken);

    public Task TakeSlotAsync(CancellationToken cancellationToken) => _slots.WaitAsync(cancellationToken);

    public void ReleaseSlot() => _slots.Release();

    /// <summary>
    /// A token to fetch a range beyond the one a reader needs next, if one is free: all the large
    /// reads of the store together hold at most Parallelism ranges ahead. Never waits, so a reader
    /// whose ranges are all taken by others still advances, one range at a time.
    /// </summary>
    public bool TryTakeReadAhead() => _readAhead.Wait(0);

    public void ReturnReadAhead() => _readAhead.Release();

    public byte[] RentBuffer()
    {
        lock (_free)
        {
            if (_free.Count > 0) return _free.Pop();
            _allocated++;
        }
        return new byte[partSize];
    }

    public void ReturnBuffer(byte[] buffer)
    {
        lock (_free) _free.Push(buffer);
    }

    public void Dispose()
    {
        _slots.Dispose();
        _readAhead.Dispose();
    }
}
