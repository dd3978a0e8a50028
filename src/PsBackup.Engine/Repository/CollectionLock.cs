using System.Diagnostics;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Storage;

namespace PsBackup.Engine.Repository;

/// <summary>
/// One writer per collection: a lease in lock.json created only if absent, renewed by a
/// heartbeat, and broken only when stale (lease expired, or the holder was a process on this
/// host that no longer exists). Losing the lease cancels the holder's work before it commits.
/// </summary>
internal sealed class CollectionLock : IAsyncDisposable
{
    private readonly IObjectStore _store;
    private readonly string _key;
    private readonly LockRecord _record;
    private readonly TimeSpan _lease;
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _heartbeat;

    private CollectionLock(IObjectStore store, string key, LockRecord record, TimeSpan lease)
    {
        _store = store;
        _key = key;
        _record = record;
        _lease = lease;
        _heartbeat = Task.Run(HeartbeatAsync);
    }

    /// <summary>Cancelled when the lease is lost (another writer broke it, or renewing failed past expiry).</summary>
    public CancellationToken Lost => _lost.Token;

    public static async Task<CollectionLock> AcquireAsync(IObjectStore store, string collection, string operation, TimeSpan lease, CancellationToken ct)
    {
        var key = RepositoryKeys.Lock(collection);
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var now = DateTimeOffset.UtcNow;
            var record = new LockRecord
            {
                Owner = Guid.NewGuid().ToString("N"),
                Host = Environment.MachineName,
                Pid = Environment.ProcessId,
                User = Environment.UserName,
                Operation = operation,
                Acquired = now,
                Expires = now + lease,
            };
            if (await store.TryCreateAsync(key, RepositoryDocuments.ToBytes(record, DocumentType.Lock), ct).ConfigureAwait(false))
                return new CollectionLock(store, key, record, lease);

            LockRecord? holder;
            try
            {
                holder = await TryReadAsync(store, key, ct).ConfigureAwait(false);
            }
            catch (DocumentCorruptException e)
            {
                // Writers replace lock.json atomically, so a damaged one was not left by a crash: no one can tell who holds it.
                throw new LockConflictException(
                    $"Collection '{collection}' has a damaged lock ({e.Message}). If no PsBackup is writing to the collection, delete '{key}' and run again.")
                { TargetObject = collection };
            }
            if (holder == null)
                continue; // released between our create and read: try again
            if (!IsStale(holder, now))
                throw new LockConflictException(
                    $"Collection '{collection}' is locked by {Names.Printable(holder.Operation)} (user {Names.Printable(holder.User)}, host {Names.Printable(holder.Host)}, pid {holder.Pid}) since {holder.Acquired:u}; " +
                    $"the lease runs until {holder.Expires:u}. Wait for it to finish; a lock whose holder died is taken over automatically.")
                { TargetObject = collection };
            await store.DeleteAsync(key, ct).ConfigureAwait(false); // stale: break it
        }
        throw new LockConflictException($"Collection '{collection}': could not take the lock, other writers keep racing for it.") { TargetObject = collection };
    }

    /// <summary>Throws unless lock.json still names this holder. Call right before committing.</summary>
    public async Task EnsureHeldAsync(CancellationToken ct)
    {
        var current = await TryReadAsync(_store, _key, ct).ConfigureAwait(false);
        if (current?.Owner != _record.Owner || _lost.IsCancellationRequested)
            throw new LockLostException($"The lock on '{_key}' was taken over by another writer; this run stops without committing.");
    }

    internal static bool IsStale(LockRecord holder, DateTimeOffset now)
    {
        if (holder.Expires < now)
            return true;
        if (!string.Equals(holder.Host, Environment.MachineName, StringComparison.OrdinalIgnoreCase))
            return false;
        try
        {
            using var process = Process.GetProcessById(holder.Pid);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true; // no such process on this host: its holder died (SIGKILL, power loss)
        }
    }

    /// <summary>Who holds the collection's lock, read without taking it (Test-DrEnvironment); null when no one does.</summary>
    public static Task<LockRecord?> PeekAsync(IObjectStore store, string collection, CancellationToken ct) =>
        TryReadAsync(store, RepositoryKeys.Lock(collection), ct);

    internal static async Task<LockRecord?> TryReadAsync(IObjectStore store, string key, CancellationToken ct)
    {
        try
        {
            return RepositoryDocuments.Read<LockRecord>(await RepositoryDocuments.ReadBytesAsync(store, key, ct).ConfigureAwait(false),
                DocumentType.Lock, "Lock", $"{store.Location}/{key}").Value;
        }
        catch (ObjectNotFoundException)
        {
            return null;
        }
    }

    private async Task HeartbeatAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_lease / 4, _stop.Token).ConfigureAwait(false);
                var current = await TryReadAsync(_store, _key, _stop.Token).ConfigureAwait(false);
                if (current?.Owner != _record.Owner)
                {
                    _lost.Cancel();
                    return;
                }
                _record.Expires = DateTimeOffset.UtcNow + _lease;
                await _store.PutAsync(_key, RepositoryDocuments.ToBytes(_record, DocumentType.Lock), _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception) when (DateTimeOffset.UtcNow <= _record.Expires)
            {
                // A failed renewal is retried at the next beat while the lease still holds.
            }
            catch (Exception)
            {
                _lost.Cancel();
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _heartbeat.ConfigureAwait(false);
        var current = await TryReadAsync(_store, _key, CancellationToken.None).ConfigureAwait(false);
        if (current?.Owner == _record.Owner)
            await _store.DeleteAsync(_key, CancellationToken.None).ConfigureAwait(false);
        _stop.Dispose();
        _lost.Dispose();
    }
}
