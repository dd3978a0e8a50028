using System.Collections.Concurrent;
using PsBackup.Engine.Storage;

namespace PsBackup.Engine.Tests.Support;

/// <summary>A real store that counts the objects read through it (by key); everything goes to the inner store.</summary>
public sealed class CountingStore(IObjectStore inner) : IObjectStore
{
    public ConcurrentQueue<string> Reads { get; } = new();
    public string Location => inner.Location;

    public Task<Stream> OpenReadAsync(string key, CancellationToken ct)
    {
        Reads.Enqueue(key);
        return inner.OpenReadAsync(key, ct);
    }

    public Task<ObjectWriteStream> OpenWriteAsync(string key, CancellationToken ct) => inner.OpenWriteAsync(key, ct);
    public Task<ObjectWriteStream> OpenWriteAsync(string key, ObjectWriteSettings? settings, CancellationToken ct) => inner.OpenWriteAsync(key, settings, ct);
    public Task<bool> TryCreateAsync(string key, ReadOnlyMemory<byte> content, CancellationToken ct) => inner.TryCreateAsync(key, content, ct);
    public Task<ObjectEntry?> StatAsync(string key, CancellationToken ct) => inner.StatAsync(key, ct);
    public IAsyncEnumerable<ObjectEntry> ListAsync(string prefix, CancellationToken ct) => inner.ListAsync(prefix, ct);
    public Task DeleteAsync(string key, CancellationToken ct) => inner.DeleteAsync(key, ct);
    public void Dispose() => inner.Dispose();
}
