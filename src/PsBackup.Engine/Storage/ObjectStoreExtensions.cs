namespace PsBackup.Engine.Storage;

/// <summary>Whole-object helpers for the small JSON documents of a repository.</summary>
public static class ObjectStoreExtensions
{
    public static async Task<byte[]> ReadAllBytesAsync(this IObjectStore store, string key, CancellationToken ct)
    {
        await using var stream = await store.OpenReadAsync(key, ct).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, ct).ConfigureAwait(false);
        return buffer.ToArray();
    }

    public static Task PutAsync(this IObjectStore store, string key, ReadOnlyMemory<byte> content, CancellationToken ct) =>
        store.PutAsync(key, content, null, ct);

    public static async Task PutAsync(this IObjectStore store, string key, ReadOnlyMemory<byte> content, ObjectWriteSettings? settings, CancellationToken ct)
    {
        await using var stream = await (settings == null ? store.OpenWriteAsync(key, ct) : store.OpenWriteAsync(key, settings, ct)).ConfigureAwait(false);
        await stream.WriteAsync(content, ct).ConfigureAwait(false);
        await stream.CommitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Deletes every object under <paramref name="prefix"/> and, for a folder prefix ('/' at the end), the folders left empty.</summary>
    public static async Task DeletePrefixAsync(this IObjectStore store, string prefix, CancellationToken ct)
    {
        var keys = new List<string>();
        await foreach (var entry in store.ListAsync(prefix, ct).ConfigureAwait(false))
            keys.Add(entry.Key);
        foreach (var key in keys)
            await store.DeleteAsync(key, ct).ConfigureAwait(false);
        if (prefix.EndsWith('/'))
            await store.DeleteEmptyFoldersAsync(prefix, ct).ConfigureAwait(false);
    }

    internal static async IAsyncEnumerable<ObjectEntry> NoEntries()
    {
        await Task.CompletedTask.ConfigureAwait(false);
        yield break;
    }
}
