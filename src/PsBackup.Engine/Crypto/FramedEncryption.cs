namespace PsBackup.Engine.Crypto;

/// <summary>
/// The encrypted artifact format (STREAM construction, as in Tink/age):
/// <code>
/// header : "PSBKAES1" (8 bytes) | nonce prefix (8 random bytes)
/// frame  : plaintext length (uint32, big endian, ≤ FrameSize) | ciphertext | GCM tag (16 bytes)
/// </code>
/// Frame i is sealed with nonce = prefix || i (uint32 big endian) and one byte of associated
/// data: 1 for the final frame, 0 otherwise. Reordering, dropping or truncating frames fails
/// authentication. Every frame but the last is full; only an empty
/// stream has an empty (final) frame.
/// </summary>
internal static class FramedEncryption
{
    public static ReadOnlySpan<byte> Magic => "PSBKAES1"u8;
    public const int PrefixSize = 8;
    public const int HeaderSize = 16;
    public const int FrameSize = 64 * 1024;
    public const int TagSize = 16;

    public static void Nonce(Span<byte> nonce, ReadOnlySpan<byte> prefix, uint counter)
    {
        prefix.CopyTo(nonce);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(nonce[PrefixSize..], counter);
    }
}
