using System.Security.Cryptography;
using System.Text;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Crypto;

/// <summary>Creates and unlocks a collection's data key with a passphrase.</summary>
public static class KeyWrapping
{
    /// <summary>OWASP 2023 guidance for PBKDF2-HMAC-SHA256.</summary>
    public const int DefaultIterations = 600_000;

    /// <summary>
    /// 2: the wrap authenticates "psbackup-key-2", NUL, the collection's name as associated data,
    /// and every manifest of the collection must carry a MAC (<see cref="ManifestMac"/>). 1 (absent):
    /// no associated data, MACs optional — collections created before format 2.
    /// </summary>
    public const int CurrentKeyFormat = 2;

    public static (byte[] DataKey, EncryptionKeyInfo Info) CreateKey(string passphrase, string collection, int iterations = DefaultIterations)
    {
        EncryptionParameters.ValidateIterations(iterations, collection);
        var dataKey = RandomNumberGenerator.GetBytes(32);
        var salt = RandomNumberGenerator.GetBytes(EncryptionParameters.SaltBytes);
        var nonce = RandomNumberGenerator.GetBytes(EncryptionParameters.NonceBytes);
        var wrapped = new byte[EncryptionParameters.WrappedKeyBytes];
        using (var aes = new AesGcm(DeriveKey(passphrase, salt, iterations), 16))
            aes.Encrypt(nonce, dataKey, wrapped.AsSpan(0, 32), wrapped.AsSpan(32), AssociatedData(CurrentKeyFormat, collection));
        return (dataKey, new EncryptionKeyInfo
        {
            Iterations = iterations,
            Salt = Convert.ToBase64String(salt),
            Nonce = Convert.ToBase64String(nonce),
            WrappedKey = Convert.ToBase64String(wrapped),
            KeyFormat = CurrentKeyFormat,
        });
    }

    /// <summary>The data key. The stored parameters are checked first, so a tampered document never reaches the KDF or the cipher.</summary>
    public static byte[] Unwrap(EncryptionKeyInfo info, string passphrase, string collection)
    {
        var stored = EncryptionParameters.Validate(info, collection);
        var dataKey = new byte[32];
        try
        {
            using var aes = new AesGcm(DeriveKey(passphrase, stored.Salt, info.Iterations), 16);
            aes.Decrypt(stored.Nonce, stored.WrappedKey.AsSpan(0, 32), stored.WrappedKey.AsSpan(32), dataKey, AssociatedData(info.KeyFormat, collection));
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new WrongPassphraseException(collection);
        }
        return dataKey;
    }

    private static byte[]? AssociatedData(int keyFormat, string collection) =>
        keyFormat >= 2 ? Encoding.UTF8.GetBytes("psbackup-key-2\0" + collection) : null;

    private static byte[] DeriveKey(string passphrase, byte[] salt, int iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(passphrase), salt, iterations, HashAlgorithmName.SHA256, 32);
}
