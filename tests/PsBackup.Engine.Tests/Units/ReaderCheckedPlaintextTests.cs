using System.IO.Compression;
using System.Security.Cryptography;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Tests.Units;

/// <summary>
/// A reader that checks the plaintext it uses itself (a file tree's restore, per file) skips the
/// artifact's plaintext SHA-256 only where the stored bytes' SHA-256 is recorded: any changed
/// stored byte, a wrong length or a format 1 record (no stored hash) is still refused at the end.
/// </summary>
public sealed class ReaderCheckedPlaintextTests
{
    private static readonly byte[] Plain = RandomNumberGenerator.GetBytes(300_000);

    private static byte[] Stored()
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(Plain);
        return output.ToArray();
    }

    private static string Hex(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    private static ArtifactRecord Record(byte[] stored) => new()
    {
        Name = "pack-0", Path = "t/pack-0.gz", Size = Plain.Length, StoredSize = stored.Length, Sha256 = Hex(Plain), StoredSha256 = Hex(stored),
    };

    private static byte[] ReadAll(byte[] stored, ArtifactRecord record)
    {
        var check = new StoredBytesCheck(new MemoryStream(stored));
        using var stream = new VerifyingReadStream(new GZipStream(check, CompressionMode.Decompress), record, "test", check, plainCheckedByReader: true);
        using var output = new MemoryStream();
        stream.CopyTo(output);
        return output.ToArray();
    }

    [Fact]
    public void Intact_artifact_reads_whole()
    {
        var stored = Stored();
        Assert.Equal(Plain, ReadAll(stored, Record(stored)));
    }

    [Fact]
    public void A_wrong_plaintext_hash_is_not_checked_when_the_stored_hash_is()
    {
        var stored = Stored();
        var record = Record(stored);
        record.Sha256 = new string('0', 64); // what the reader's own hashes stand in for
        Assert.Equal(Plain, ReadAll(stored, record));
    }

    [Fact]
    public void Stored_damage_that_decodes_the_same_is_refused()
    {
        var stored = Stored();
        var record = Record(stored);
        var damaged = (byte[])stored.Clone();
        damaged[4] ^= 0x01; // gzip's MTIME: the plaintext is intact
        var e = Assert.Throws<IntegrityException>(() => ReadAll(damaged, record));
        Assert.Contains("stored bytes", e.Message);
    }

    [Fact]
    public void A_wrong_length_is_refused()
    {
        var stored = Stored();
        var record = Record(stored);
        record.Size = Plain.Length + 1;
        var e = Assert.Throws<IntegrityException>(() => ReadAll(stored, record));
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Without_a_stored_hash_the_plaintext_is_hashed_all_the_same()
    {
        var stored = Stored();
        var record = Record(stored);
        record.StoredSha256 = null; // format 1
        record.Sha256 = new string('0', 64);
        var e = Assert.Throws<IntegrityException>(() => ReadAll(stored, record));
        Assert.Contains("SHA-256", e.Message);
    }
}
