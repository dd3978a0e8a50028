using PsBackup.Engine.IO;
using System.IO.Compression;
using System.Security.Cryptography;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Repository;

/// <summary>
/// The plaintext of an artifact as it is read back. Hashes and counts everything read and,
/// at end of stream, compares with the manifest; any mismatch or decoding failure surfaces as
/// an <see cref="IntegrityException"/> naming the artifact. Consumers must read to the end.
/// </summary>
/// <remarks>
/// <paramref name="plainIsStored"/>: the artifact is stored as is (no compression, no encryption),
/// so <paramref name="stored"/> already hashes the plaintext and its one hash serves both checks.
/// <paramref name="plainCheckedByReader"/>: the reader checks every plaintext byte it uses against
/// hashes of its own (a file tree's per-file SHA-256 from its verified index), so where the
/// manifest records the stored bytes' SHA-256 — which fixes the plaintext, decoding being
/// deterministic — the plaintext is counted, not hashed a second time.
/// </remarks>
internal sealed class VerifyingReadStream(Stream decoded, ArtifactRecord expected, string name, StoredBytesCheck? stored = null, bool plainIsStored = false,
    bool plainCheckedByReader = false)
    : ReadOnlyStream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _read;
    private bool _verified;

    public string? ActualSha256 { get; private set; }

    private bool PlainIsStored => plainIsStored && stored != null;

    /// <summary>The plaintext's SHA-256 is left to the reader: the stored bytes' own SHA-256 is checked.</summary>
    private bool PlainUnhashed => plainCheckedByReader && stored != null && expected.StoredSha256 != null;

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty) return 0; // a zero-byte read (TarReader makes them) is not the end of the stream
        int n;
        try
        {
            n = decoded.Read(buffer);
        }
        catch (Exception e) when (IsDecodingFailure(e))
        {
            throw new IntegrityException($"Artifact {name} is corrupt: {e.Message}", e);
        }
        if (n == 0)
        {
            Verify();
            return 0;
        }
        _read += n;
        if (_read > expected.Size)
            throw new IntegrityException($"Artifact {name} is corrupt: it holds more than the {expected.Size} bytes its manifest records.");
        if (!PlainIsStored && !PlainUnhashed) _hash.AppendData(buffer[..n]);
        return n;
    }

    /// <summary>
    /// What the decoders throw on damaged input: gzip InvalidDataException, brotli
    /// InvalidOperationException ("Decoder ran into invalid data"), AES-GCM tag mismatches. The
    /// stores' own failures (IOException, PsBackupException) and cancellation are not damage.
    /// </summary>
    internal static bool IsDecodingFailure(Exception e) =>
        e is InvalidDataException or InvalidOperationException or CryptographicException or EndOfStreamException
            or ArgumentOutOfRangeException or IndexOutOfRangeException or OverflowException
        && e is not ObjectDisposedException;

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    /// <summary>Reads and discards the rest, then verifies. Use when the consumer needs no more data.</summary>
    public void Drain()
    {
        var buffer = new byte[81920];
        while (Read(buffer) > 0) { }
    }

    private void Verify()
    {
        if (_verified) return;
        _verified = true;
        var storedCheck = PlainIsStored ? stored!.Finish() : default;
        ActualSha256 = PlainIsStored ? storedCheck.Sha256 : PlainUnhashed ? null : Convert.ToHexString(_hash.GetHashAndReset()).ToLowerInvariant();
        if (_read != expected.Size)
            throw new IntegrityException($"Artifact {name} is truncated: {_read} of {expected.Size} bytes.");
        if (!PlainUnhashed && !string.Equals(ActualSha256, expected.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new IntegrityException($"Artifact {name} is corrupt: SHA-256 {ActualSha256} does not match the manifest's {expected.Sha256}.");
        if (stored == null) return;
        var (bytes, sha256) = PlainIsStored ? storedCheck : stored.Finish();
        if (bytes != expected.StoredSize)
            throw new IntegrityException($"Artifact {name} is corrupt: it holds {bytes} stored bytes; the manifest records {expected.StoredSize}.");
        if (expected.StoredSha256 != null && !string.Equals(sha256, expected.StoredSha256, StringComparison.OrdinalIgnoreCase))
            throw new IntegrityException($"Artifact {name} is corrupt: the SHA-256 of its stored bytes, {sha256}, does not match the manifest's {expected.StoredSha256} (its plaintext is intact).");
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            decoded.Dispose();
            _hash.Dispose();
        }
        base.Dispose(disposing);
    }

    public override long Length => expected.Size;
    public override long Position { get => _read; set => throw new NotSupportedException(); }
}
