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
internal sealed class VerifyingReadStream(Stream decoded, ArtifactRecord expected, string name) : ReadOnlyStream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _read;
    private bool _verified;

    public string? ActualSha256 { get; private set; }

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty) return 0; // a zero-byte read (TarReader makes them) is not the end of the stream
        int n;
        try
        {
            n = decoded.Read(buffer);
        }
        // Brotli reports damaged input as InvalidOperationException ("Decoder ran into invalid data").
        catch (Exception e) when (e is InvalidDataException or AuthenticationTagMismatchException or EndOfStreamException
                                      or (InvalidOperationException and not ObjectDisposedException))
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
        _hash.AppendData(buffer[..n]);
        return n;
    }

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
        ActualSha256 = Convert.ToHexString(_hash.GetHashAndReset()).ToLowerInvariant();
        if (_read != expected.Size)
            throw new IntegrityException($"Artifact {name} is truncated: {_read} of {expected.Size} bytes.");
        if (!string.Equals(ActualSha256, expected.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new IntegrityException($"Artifact {name} is corrupt: SHA-256 {ActualSha256} does not match the manifest's {expected.Sha256}.");
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
