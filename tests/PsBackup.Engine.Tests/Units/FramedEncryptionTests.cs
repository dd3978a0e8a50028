using System.Security.Cryptography;
using PsBackup.Engine.Crypto;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Tests.Units;

/// <summary>The encrypted stream format: round trips at frame boundaries; any reordering, truncation or bit flip fails.</summary>
public sealed class FramedEncryptionTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);

    private static byte[] Encrypt(byte[] plain, byte[]? key = null)
    {
        using var output = new MemoryStream();
        using (var encrypting = new EncryptingStream(output, key ?? Key))
        {
            encrypting.Write(plain);
            encrypting.Finish();
        }
        return output.ToArray();
    }

    private static byte[] Decrypt(byte[] sealedBytes, byte[]? key = null)
    {
        using var input = new DecryptingStream(new MemoryStream(sealedBytes), key ?? Key, "test");
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(FramedEncryption.FrameSize - 1)]
    [InlineData(FramedEncryption.FrameSize)]
    [InlineData(FramedEncryption.FrameSize + 1)]
    [InlineData(3 * FramedEncryption.FrameSize)]
    public void Round_trips_any_length(int length)
    {
        var plain = RandomNumberGenerator.GetBytes(length);
        var sealedBytes = Encrypt(plain);
        Assert.Equal(plain, Decrypt(sealedBytes));
        // header + per frame (length prefix + tag) + plaintext; only an empty stream has an empty (final) frame
        var frames = Math.Max(1, (length + FramedEncryption.FrameSize - 1) / FramedEncryption.FrameSize);
        Assert.Equal(16 + frames * (4 + 16) + length, sealedBytes.Length);
    }

    [Fact]
    public void Truncation_at_a_frame_boundary_is_detected()
    {
        var sealedBytes = Encrypt(RandomNumberGenerator.GetBytes(2 * FramedEncryption.FrameSize + 10));
        var oneFrame = 16 + 4 + FramedEncryption.FrameSize + 16;
        var error = Assert.Throws<IntegrityException>(() => Decrypt(sealedBytes[..oneFrame]));
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void Swapped_frames_a_flipped_bit_and_a_wrong_key_are_detected()
    {
        var sealedBytes = Encrypt(RandomNumberGenerator.GetBytes(3 * FramedEncryption.FrameSize));
        var frame = 4 + FramedEncryption.FrameSize + 16;
        var swapped = (byte[])sealedBytes.Clone();
        Array.Copy(sealedBytes, 16, swapped, 16 + frame, frame);
        Array.Copy(sealedBytes, 16 + frame, swapped, 16, frame);
        Assert.Throws<IntegrityException>(() => Decrypt(swapped));

        var flipped = (byte[])sealedBytes.Clone();
        flipped[^5] ^= 1;
        Assert.Throws<IntegrityException>(() => Decrypt(flipped));

        Assert.Throws<IntegrityException>(() => Decrypt(sealedBytes, RandomNumberGenerator.GetBytes(32)));
        Assert.Throws<IntegrityException>(() => Decrypt([.. sealedBytes, 0]));
    }

    [Fact]
    public void Key_wrapping_unlocks_with_the_passphrase_only()
    {
        var (key, info) = KeyWrapping.CreateKey("right", "c", iterations: 1000);
        Assert.Equal(key, KeyWrapping.Unwrap(info, "right", "c"));
        Assert.Throws<WrongPassphraseException>(() => KeyWrapping.Unwrap(info, "wrong", "c"));
        // The wrap is bound to the collection's name: the same key info under another name does not unlock.
        Assert.Throws<WrongPassphraseException>(() => KeyWrapping.Unwrap(info, "right", "other"));
        Assert.DoesNotContain(Convert.ToBase64String(key), Newtonsoft.Json.JsonConvert.SerializeObject(info));
    }
}
