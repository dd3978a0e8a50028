namespace PsBackup.Engine.Crypto;

/// <summary>
/// How a collection's random data key is stored: wrapped (AES-256-GCM) by a key derived from
/// the passphrase with PBKDF2-HMAC-SHA256. Stored in collection.json; contains no secret.
/// </summary>
public sealed class EncryptionKeyInfo
{
    public string Algorithm { get; set; } = "aes-256-gcm";
    public string Kdf { get; set; } = "pbkdf2-sha256";
    public int Iterations { get; set; }
    public string Salt { get; set; } = "";
    public string Nonce { get; set; } = "";

    /// <summary>The 32-byte data key encrypted with the derived key, followed by the 16-byte tag (base64).</summary>
    public string WrappedKey { get; set; } = "";

    /// <summary>See <see cref="KeyWrapping.CurrentKeyFormat"/>; absent (1) in collections created before repository format 2.</summary>
    public int KeyFormat { get; set; } = 1;
}
