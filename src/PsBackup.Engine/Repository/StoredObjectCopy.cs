using System.Security.Cryptography;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Storage;

namespace PsBackup.Engine.Repository;

/// <summary>
/// Copies one object's stored bytes verbatim between repositories (no decryption, no
/// recompression), checking the stored size on the way and then re-reading the destination: its
/// size and SHA-256 must equal what was read from the source. An identical object already at
/// the destination (an interrupted copy) is kept. What Copy-Backup does per artifact.
/// </summary>
internal static class StoredObjectCopy
{
    private const int BufferSize = 1 << 17;

    /// <summary>
    /// True when copied, false when an identical object was already there. <paramref name="archived"/>: an archive storage class, checked by size only.
    /// <paramref name="storedSha256"/>: the stored bytes' hash where the document records it (format 2), so damage at rest is found without the passphrase.
    /// </summary>
    public static async Task<bool> CopyAsync(IObjectStore source, IObjectStore destination, string key, long storedSize, string? storedSha256,
        ObjectWriteSettings? storage, bool archived, string display, Action<long>? progress, CancellationToken ct)
    {
        var existing = await destination.StatAsync(key, ct).ConfigureAwait(false);
        if (existing != null && existing.Size == storedSize && !archived)
        {
            var hashes = await Task.WhenAll(Sha256Async(source, key, display, ct), Sha256Async(destination, key, display, ct)).ConfigureAwait(false);
            if (hashes[0] == hashes[1] && hashes[0].Size == storedSize)
                return false;
        }

        string sourceSha;
        await using (var reading = await OpenAsync(source, key, display, ct).ConfigureAwait(false))
        await using (var writing = await destination.OpenWriteAsync(key, ObjectWriteSettings.ForData(storage), ct).ConfigureAwait(false))
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[BufferSize];
            long copied = 0;
            int n;
            while ((n = await reading.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                copied += n;
                if (copied > storedSize)
                    throw new IntegrityException($"Source {display} is larger than the {storedSize} stored bytes recorded for it.");
                hash.AppendData(buffer, 0, n);
                await writing.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                progress?.Invoke(n);
            }
            if (copied != storedSize)
                throw new IntegrityException($"Source {display} holds {copied} stored bytes; {storedSize} are recorded for it.");
            sourceSha = Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
            if (storedSha256 != null && !string.Equals(sourceSha, storedSha256, StringComparison.OrdinalIgnoreCase))
                throw new IntegrityException($"Source {display} is corrupt: the SHA-256 of its stored bytes does not match the one recorded for it.");
            await writing.CommitAsync(ct).ConfigureAwait(false);
        }

        var written = archived
            ? (Size: (await destination.StatAsync(key, ct).ConfigureAwait(false))?.Size ?? -1, Sha256: sourceSha)
            : await Sha256Async(destination, key, display, ct).ConfigureAwait(false);
        if (written.Size != storedSize || written.Sha256 != sourceSha)
        {
            await destination.DeleteAsync(key, CancellationToken.None).ConfigureAwait(false);
            throw new CopyFailedException($"{display} did not arrive intact at the destination: {written.Size} bytes with SHA-256 {written.Sha256}, " +
                                          $"expected {storedSize} bytes with SHA-256 {sourceSha}. Run Copy-Backup again.");
        }
        return true;
    }

    /// <summary>Size and SHA-256 of an object's stored bytes.</summary>
    public static async Task<(long Size, string Sha256)> Sha256Async(IObjectStore store, string key, string display, CancellationToken ct)
    {
        await using var stream = await OpenAsync(store, key, display, ct).ConfigureAwait(false);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[BufferSize];
        long size = 0;
        int n;
        while ((n = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            size += n;
            hash.AppendData(buffer, 0, n);
        }
        return (size, Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant());
    }

    private static async Task<Stream> OpenAsync(IObjectStore store, string key, string display, CancellationToken ct)
    {
        try
        {
            return await store.OpenReadAsync(key, ct).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            throw new ArtifactMissingException($"{display} is missing from repository '{store.Location}'.");
        }
    }
}
