using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Storage;

/// <summary>
/// How a collection's data objects (artifacts) are stored, where the store supports it (S3):
/// storage class, server-side encryption, tags. Manifests, definitions and locks are always
/// written plainly (STANDARD), so they can be read at once.
/// </summary>
public sealed record ObjectWriteSettings
{
    /// <summary>
    /// The tag that names what an object is: "data" on artifacts, "manifest" on manifests. S3
    /// lifecycle filters select by prefix and tags only, and a backup's folder holds both, so
    /// PsBackup's lifecycle rules (Set-BackupStorageLifecycle) select its objects by this tag.
    /// </summary>
    public const string RoleTagKey = "psbackup:object";
    public const string DataRole = "data";
    public const string ManifestRole = "manifest";

    /// <summary>How a manifest is written: plain, with only its role tag.</summary>
    internal static readonly ObjectWriteSettings Manifest = new() { Tags = new Dictionary<string, string> { [RoleTagKey] = ManifestRole } };

    /// <summary>How an artifact is written: the collection's settings plus the data role tag.</summary>
    internal static ObjectWriteSettings ForData(ObjectWriteSettings? collection) => (collection ?? new()) with
    {
        Tags = new Dictionary<string, string>(collection?.Tags ?? new Dictionary<string, string>()) { [RoleTagKey] = DataRole },
    };

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
        if (Tags is { Count: > 9 })
            throw new InvalidBackupRequestException("TooManyTags", $"S3 allows at most 10 tags per object, and PsBackup puts one of its own ({RoleTagKey}) on each: give at most 9.");
        if (Tags?.Keys.FirstOrDefault(k => k.StartsWith("psbackup:", StringComparison.OrdinalIgnoreCase)) is { } reserved)
            throw new InvalidBackupRequestException("ReservedTag", $"Tag '{reserved}': tag keys starting with 'psbackup:' are PsBackup's own; choose another key.");
    }
}
