using System.IO.Compression;
using PsBackup.Engine.Crypto;
using PsBackup.Engine.Storage;

namespace PsBackup.Engine.Repository;

/// <summary>
/// Turns plaintext streams into stored artifacts and back:
/// plaintext → (second thread) SHA-256/size → compression → optional AES-256-GCM frames → store.
/// zstd compresses and decodes independent frames on several cores (<see cref="ZstdFrameWriteStream"/>,
/// <see cref="ZstdFrameReadStream"/>); brotli and gzip are one stream on one core.
/// </summary>
internal sealed class ArtifactCodec(IObjectStore store, CompressionKind compression, byte[]? key, ObjectWriteSettings? storage = null)
{
    public CompressionKind Compression => compression;

    /// <summary>Frames compressed or decoded at once per zstd artifact: one per core, at most 8.</summary>
    internal static int ZstdWorkers => Math.Clamp(Environment.ProcessorCount, 1, 8);

    /// <summary>The stored file name's suffix: ".zst", ".gz", ".br" or "", then ".aes" when encrypted.</summary>
    public string Extension => ExtensionFor(compression, key != null);

    public static string ExtensionFor(CompressionKind compression, bool encrypted) => (compression switch
    {
        CompressionKind.Zstd => ".zst",
        CompressionKind.Gzip => ".gz",
        CompressionKind.Brotli => ".br",
        _ => "",
    }) + (encrypted ? ".aes" : "");

    public async Task<ArtifactWriter> CreateAsync(string objectKey, string name, CancellationToken ct)
    {
        var sink = await store.OpenWriteAsync(objectKey, ObjectWriteSettings.ForData(storage), ct).ConfigureAwait(false);
        var counting = new HashingWriteStream(sink); // the stored bytes: their size and SHA-256
        var encrypting = key != null ? new EncryptingStream(counting, key) : null;
        Stream encoded = encrypting ?? (Stream)counting;
        Stream? compressing = compression switch
        {
            // All at their fastest level: zstd-1 and brotli-1 beat gzip-6's ratio at ~10× its speed.
            CompressionKind.Zstd => new ZstdFrameWriteStream(encoded, ZstdWorkers),
            CompressionKind.Gzip => new GZipStream(encoded, CompressionLevel.Fastest, leaveOpen: true),
            CompressionKind.Brotli => new BrotliStream(encoded, CompressionLevel.Fastest, leaveOpen: true),
            _ => null,
        };
        // The artifact hash runs on the consumer thread too, leaving the producer its own reading and hashing.
        // Stored as is (no compression, no encryption), the stored bytes are the plaintext: one hash serves both.
        var hashing = compressing == null && encrypting == null ? counting : new HashingWriteStream(compressing ?? encoded);
        var pipelined = new PipelinedWriteStream(hashing);
        return new ArtifactWriter(name, pipelined, hashing, compressing, encrypting, counting, sink);
    }

    /// <param name="plainCheckedByReader">See <see cref="VerifyingReadStream"/>: the reader hashes every plaintext byte it uses itself.</param>
    public async Task<VerifyingReadStream> OpenAsync(string objectKey, ArtifactRecord record, string displayName, CancellationToken ct, bool plainCheckedByReader = false)
    {
        var stored = new StoredBytesCheck(await store.OpenReadAsync(objectKey, ct).ConfigureAwait(false));
        Stream stream = new BufferedStream(stored, 1 << 16);
        if (key != null)
            stream = new DecryptingStream(stream, key, displayName);
        stream = compression switch
        {
            CompressionKind.Zstd => new ZstdFrameReadStream(stream, ZstdWorkers),
            CompressionKind.Gzip => new GZipStream(stream, CompressionMode.Decompress),
            CompressionKind.Brotli => new BrotliStream(stream, CompressionMode.Decompress),
            _ => stream,
        };
        // Stored as is, the stored bytes are the plaintext: one hash serves both checks (as on the write side).
        return new VerifyingReadStream(stream, record, displayName, stored, plainIsStored: key == null && compression == CompressionKind.None, plainCheckedByReader);
    }
}

/// <summary>An artifact being written. <see cref="CompleteAsync"/> publishes it; disposing without completing discards it.</summary>
internal sealed class ArtifactWriter(
    string name, PipelinedWriteStream pipelined, HashingWriteStream hashing, Stream? compressing, EncryptingStream? encrypting,
    HashingWriteStream counting, ObjectWriteStream sink) : IAsyncDisposable
{
    /// <summary>Write the plaintext here.</summary>
    public Stream Stream => pipelined;

    public async Task<ArtifactRecord> CompleteAsync(string path, CancellationToken ct)
    {
        pipelined.Complete();     // everything written reaches the compressor
        (compressing as ZstdFrameWriteStream)?.Complete(); // its last frames, and their failures
        compressing?.Dispose();   // writes the compressor's final block
        encrypting?.Finish();     // seals the final frame
        await sink.CommitAsync(ct).ConfigureAwait(false);
        var sha256 = hashing.FinishHash();
        return new ArtifactRecord
        {
            Name = name,
            Path = path,
            Size = hashing.BytesWritten,
            StoredSize = counting.BytesWritten,
            Sha256 = sha256,
            StoredSha256 = ReferenceEquals(hashing, counting) ? sha256 : counting.FinishHash(),
        };
    }

    public async ValueTask DisposeAsync()
    {
        pipelined.Dispose();
        hashing.Dispose();
        compressing?.Dispose();
        encrypting?.Dispose();
        counting.Dispose();
        await sink.DisposeAsync().ConfigureAwait(false);
    }
}
