using System.Buffers.Binary;
using MongoDB.Bson;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Providers.MongoDb;

/// <summary>
/// Reads a raw BSON stream (documents one after another, each starting with its int32 length, as
/// mongodump's .bson files) document by document, keeping each document's bytes untouched.
/// </summary>
internal sealed class BsonDocumentStream(Stream stream, string what)
{
    /// <summary>The largest document MongoDB stores (16 MiB) with the 16 KiB the server allows above it for internal fields.</summary>
    private const int MaxDocument = 16 * 1024 * 1024 + 16 * 1024;

    private readonly byte[] _length = new byte[4];

    /// <summary>The next document's bytes, or null at the end of the stream (read to its end: that is where artifacts are verified).</summary>
    public async Task<byte[]?> NextAsync(CancellationToken ct)
    {
        var read = await FillAsync(_length, 0, ct).ConfigureAwait(false);
        if (read == 0) return null;
        if (read < 4) throw Truncated();
        var length = BinaryPrimitives.ReadInt32LittleEndian(_length);
        if (length is < 5 or > MaxDocument)
            throw new IntegrityException($"{what} holds a document of {length} bytes, which is not BSON: the artifact is damaged.");
        var document = new byte[length];
        _length.CopyTo(document, 0);
        if (await FillAsync(document, 4, ct).ConfigureAwait(false) < length - 4) throw Truncated();
        if (document[^1] != 0)
            throw new IntegrityException($"{what} holds a document that does not end with a NUL byte: the artifact is damaged.");
        return document;
    }

    /// <summary>The next document as a <see cref="RawBsonDocument"/> (the bytes are what an insert sends).</summary>
    public async Task<RawBsonDocument?> NextDocumentAsync(CancellationToken ct) =>
        await NextAsync(ct).ConfigureAwait(false) is { } bytes ? new RawBsonDocument(bytes) : null;

    private async Task<int> FillAsync(byte[] buffer, int offset, CancellationToken ct)
    {
        var total = 0;
        while (offset + total < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(offset + total), ct).ConfigureAwait(false);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    private IntegrityException Truncated() => new($"{what} ends in the middle of a document: the artifact is damaged.");
}
