using System.Security.Cryptography;
using System.Text;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Crypto;

/// <summary>
/// Manifests of encrypted collections carry <c>"mac": "hmac-sha256:&lt;hex&gt;"</c>: HMAC-SHA256 of the
/// manifest's digest bytes (the SHA-256 of its canonical content) under a key derived from the
/// collection's data key (HKDF-SHA256, info "psbackup manifest mac"). Whoever lacks the
/// passphrase can still edit a manifest and recompute its digest, but not its MAC: a reader that
/// unlocked the key (Test-Backup, Restore-Backup, Invoke-Backup, Copy-Backup with a passphrase)
/// trusts only manifests written by a holder of the passphrase.
/// </summary>
internal static class ManifestMac
{
    private const string Prefix = "hmac-sha256:";

    public static string Compute(byte[] dataKey, byte[] contentHash)
    {
        var macKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, dataKey, 32, info: Encoding.ASCII.GetBytes("psbackup manifest mac"));
        return Prefix + Convert.ToHexString(HMACSHA256.HashData(macKey, contentHash)).ToLowerInvariant();
    }

    /// <summary>
    /// Checks a manifest read from an encrypted collection whose key is unlocked. Collections of key
    /// format 2 require the MAC; format 1 collections hold manifests written before MACs existed.
    /// </summary>
    public static void Verify(BackupManifest manifest, EncryptionKeyInfo encryption, byte[] dataKey)
    {
        DocumentCorruptException Untrusted(string why) =>
            new($"Manifest of backup '{manifest.Id}' {why}: it was not written by a holder of the collection's passphrase, or was changed since. The backup is not trusted.") { TargetObject = manifest.Id };

        if (!manifest.Encrypted)
            throw Untrusted("says its artifacts are not encrypted, in an encrypted collection");
        if (manifest.Mac == null)
        {
            if (encryption.KeyFormat >= 2) throw Untrusted("has no MAC");
            return;
        }
        if (manifest.ContentHash == null || !CryptographicOperations.FixedTimeEquals(
                Encoding.ASCII.GetBytes(manifest.Mac), Encoding.ASCII.GetBytes(Compute(dataKey, manifest.ContentHash))))
            throw Untrusted("fails its MAC");
    }
}
