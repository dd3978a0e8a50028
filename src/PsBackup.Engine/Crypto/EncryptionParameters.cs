using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Crypto;

/// <summary>
/// The stored parameters of a collection's key, checked before any KDF or cipher runs: a
/// tampered iteration count must not make an unlock hang, a tampered length must not end in a
/// raw exception. The ceiling of 10,000,000 PBKDF2-SHA256 iterations already takes seconds.
/// </summary>
internal static class EncryptionParameters
{
    public const int MinIterations = 1_000;
    public const int MaxIterations = 10_000_000;
    public const int SaltBytes = 16;
    public const int NonceBytes = 12;
    public const int WrappedKeyBytes = 32 + 16;

    public sealed record Decoded(byte[] Salt, byte[] Nonce, byte[] WrappedKey);

    public static void ValidateIterations(int iterations, string collection)
    {
        if (iterations is < MinIterations or > MaxIterations)
            throw new EncryptionParametersException(
                $"Collection '{collection}': {iterations} PBKDF2 iterations is outside {MinIterations:N0}–{MaxIterations:N0}. The collection's encryption parameters were damaged or tampered with; nothing was decrypted.")
            { TargetObject = collection };
    }

    public static Decoded Validate(EncryptionKeyInfo? info, string collection)
    {
        if (info == null)
            throw Invalid(collection, "the encryption object is empty");
        if (info.Algorithm != "aes-256-gcm" || info.Kdf != "pbkdf2-sha256")
            throw new RepositoryFormatException($"Collection '{collection}' uses encryption '{Repository.Names.Printable(info.Algorithm)}/{Repository.Names.Printable(info.Kdf)}', which this PsBackup does not know.");
        ValidateIterations(info.Iterations, collection);
        if (info.KeyFormat is < 1 or > KeyWrapping.CurrentKeyFormat)
            throw Invalid(collection, $"key format {info.KeyFormat} is unknown");
        return new Decoded(
            Bytes(info.Salt, SaltBytes, "salt", collection),
            Bytes(info.Nonce, NonceBytes, "nonce", collection),
            Bytes(info.WrappedKey, WrappedKeyBytes, "wrappedKey", collection));
    }

    private static byte[] Bytes(string? base64, int length, string what, string collection)
    {
        var buffer = new byte[length];
        if (base64 == null || base64.Length > 4 * ((length + 2) / 3) + 4)
            throw Invalid(collection, $"{what} is not base64 of {length} bytes");
        if (!Convert.TryFromBase64String(base64, buffer, out var written) || written != length)
            throw Invalid(collection, $"{what} is not base64 of {length} bytes");
        return buffer;
    }

    private static EncryptionParametersException Invalid(string collection, string why) =>
        new($"Collection '{collection}': its encryption parameters are not valid ({why}). They were damaged or tampered with; nothing was decrypted.")
        { TargetObject = collection };
}
