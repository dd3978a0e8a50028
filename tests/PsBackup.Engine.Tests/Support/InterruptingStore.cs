using PsBackup.Engine.Storage;

namespace PsBackup.Engine.Tests.Support;

/// <summary>
/// A store that "crashes" at its Nth deletion: that deletion and everything after it throw
/// OperationCanceledException, as if the process died there. Everything else goes to the inner store.
/// </summary>
public sealed class InterruptingStore(IObjectStore inner, int failAtDeletion) : IObjectStore
{
    private int _deletions;

    public int Deletions => _deletions;
    public string Location => inner.Location;
    public Task<Stream> OpenReadAsync(string key, CancellationToken ct) => inner.OpenReadAsync(key, ct);
    public Task<ObjectWriteStream> OpenWriteAsync(string key, CancellationToken ct) => inner.OpenWriteAsync(key, ct);
    public Task<ObjectWriteStream> OpenWriteAsync(string key, ObjectWriteSettings? settings, CancellationToken ct) => inner.OpenWriteAsync(key, settings, ct);
    public Task<bool> TryCreateAsync(string key, ReadOnlyMemory<byte> content, CancellationToken ct) => inner.TryCreateAsync(key, content, ct);
    public Task<ObjectEntry?> StatAsync(string key, CancellationToken ct) => inner.StatAsync(key, ct);
    public IAsyncEnumerable<ObjectEntry> ListAsync(string prefix, CancellationToken ct) => inner.ListAsync(prefix, ct);

    public Task DeleteAsync(string key, CancellationToken ct) =>
        Interlocked.Increment(ref _deletions) >= failAtDeletion ? throw new OperationCanceledException("interrupted") : inner.DeleteAsync(key, ct);

    public void Dispose() => inner.Dispose();
}
