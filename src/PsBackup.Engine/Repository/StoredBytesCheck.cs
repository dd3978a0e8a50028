using System.Security.Cryptography;
using PsBackup.Engine.IO;

namespace PsBackup.Engine.Repository;

/// <summary>
/// The stored object as the decoders read it, hashed on the way. Once the plaintext ends, the rest
/// of the object (what a decoder left unread) is hashed too and the count and SHA-256 of the stored
/// bytes are compared with the manifest's: a change that decodes to the same plaintext (a gzip
/// header's time stamp, padding, appended bytes) is damage all the same.
/// </summary>
internal sealed class StoredBytesCheck(Stream stored) : ReadOnlyStream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public long BytesRead { get; private set; }

    public override int Read(Span<byte> buffer)
    {
        var n = stored.Read(buffer);
        _hash.AppendData(buffer[..n]);
        BytesRead += n;
        return n;
    }

    /// <summary>Reads what is left, then the stored bytes' count and SHA-256 (lowercase hex).</summary>
    public (long Bytes, string Sha256) Finish()
    {
        var buffer = new byte[81920];
        while (Read(buffer) > 0) { }
        return (BytesRead, Convert.ToHexString(_hash.GetHashAndReset()).ToLowerInvariant());
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            stored.Dispose();
            _hash.Dispose();
        }
        base.Dispose(disposing);
    }
}
