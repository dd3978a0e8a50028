using System.Security.Cryptography;
using System.Text;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Crypto;

/// <summary>Creates and unlocks a collection's data key with a passphrase.</summary>
public static class KeyWrapping
{
    /// <summary>OWASP 2023 guidance for PBKDF2-HMAC-SHA256.</summary>
    public const int DefaultIterations = 600_000;

    public static (byte[] DataKey, EncryptionKeyInfo Info) CreateKey(string passphrase, int iterations = DefaultIterations)
    {
        var dataKey = RandomNumberGenerator.GetBytes(32);
        var salt = RandomNumberGenerator.GetBytes(16);
        var nonce = RandomNumberGenerator.GetBytes(12);
        var wrapped = new byte[32 + 16];
        using (var aes = new AesGcm(DeriveKey(passphrase, salt, iterations), 16))
            aes.Encrypt(nonce, dataKey, wrapped.AsSpan(0, 32), wrapped.AsSpan(32));
        return (dataKey, new EncryptionKeyInfo
        {
            Iterations = iterations,
            Salt = Convert.ToBase64String(salt),
            Nonce = Convert.ToBase64String(nonce),
            WrappedKey = Convert.ToBase64String(wrapped),
        });
    }

    public static byte[] Unwrap(EncryptionKeyInfo info, string passphrase, string collection)
    {
        if (info.Algorithm != "aes-256-gcm" || info.Kdf != "pbkdf2-sha256")
            throw new RepositoryFormatException($"Collection '{collection}' uses encryption '{info.Algorithm}/{info.Kdf}', which this PsBackup does not know.");
        var wrapped = Convert.FromBase64String(info.WrappedKey);
        var dataKey = new byte[32];
        try
        {
            using var aes = new AesGcm(DeriveKey(passphrase, Convert.FromBase64String(info.Salt), info.Iterations), 16);
            aes.Decrypt(Convert.FromBase64String(info.Nonce), wrapped.AsSpan(0, 32), wrapped.AsSpan(32), dataKey);
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new WrongPassphraseException(collection);
        }
        return dataKey;
    }

    private static byte[] DeriveKey(string passphrase, byte[] salt, int iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(passphrase), salt, iterations, HashAlgorithmName.SHA256, 32);
}
