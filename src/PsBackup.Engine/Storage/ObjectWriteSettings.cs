using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Storage;

/// <summary>
/// How a collection's data objects (artifacts) are stored, where the store supports it (S3):
/// storage class, server-side encryption, tags. Manifests, definitions and locks are always
/// written plainly (STANDARD), so they can be read at once.
/// </summary>
public sealed record ObjectWriteSettings
{
    public static readonly IReadOnlyList<string> StorageClasses =
        ["STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE", "REDUCED_REDUNDANCY"];

    /// <summary>An S3 storage class name; null for the bucket's default.</summary>
    public string? StorageClass { get; init; }

    /// <summary>"AES256" (SSE-S3) or "aws:kms" (SSE-KMS); null for none.</summary>
    public string? ServerSideEncryption { get; init; }

    /// <summary>The KMS key for SSE-KMS; null for the account's default key.</summary>
    public string? KmsKeyId { get; init; }

    public IReadOnlyDictionary<string, string>? Tags { get; init; }

    public void Validate()
    {
        if (StorageClass != null && !StorageClasses.Contains(StorageClass))
            throw new InvalidBackupRequestException("InvalidStorageClass", $"Storage class '{StorageClass}' is not one of {string.Join(", ", StorageClasses)}.");
        if (ServerSideEncryption is not (null or "AES256" or "aws:kms"))
            throw new InvalidBackupRequestException("InvalidServerSideEncryption", $"Server-side encryption '{ServerSideEncryption}' must be AES256 (SSE-S3) or aws:kms (SSE-KMS).");
        if (KmsKeyId != null && ServerSideEncryption != "aws:kms")
            throw new InvalidBackupRequestException("InvalidServerSideEncryption", "A KMS key id needs server-side encryption aws:kms.");
        if (Tags is { Count: > 10 })
            throw new InvalidBackupRequestException("TooManyTags", "S3 allows at most 10 tags per object.");
    }
}
