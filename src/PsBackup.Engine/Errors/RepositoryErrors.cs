namespace PsBackup.Engine.Errors;

// Errors of a damaged or hostile repository: what a reader found it cannot trust.

/// <summary>A repository document (config, collection, manifest, labels, lock, a kind's log entry) is damaged, edited or incomplete.</summary>
public sealed class DocumentCorruptException(string message, Exception? inner = null)
    : PsBackupException("DocumentCorrupt", ErrorKind.InvalidData, message, inner);

/// <summary>An incremental's chain of parents does not lead to a full backup: a parent is missing, or the chain loops.</summary>
public sealed class ChainBrokenException(string message)
    : PsBackupException("ChainBroken", ErrorKind.InvalidData, message)
{
    /// <summary>The parent that is missing; null when the chain loops.</summary>
    public string? MissingBackupId { get; init; }
}

/// <summary>A collection's stored encryption parameters are out of range or malformed; checked before any KDF or cipher runs.</summary>
public sealed class EncryptionParametersException(string message)
    : PsBackupException("EncryptionParametersInvalid", ErrorKind.InvalidData, message);

/// <summary>A repository key that would leave the repository (or is not a plain relative key): refused by every store.</summary>
public sealed class UnsafeRepositoryKeyException(string key)
    : PsBackupException("InvalidRepositoryKey", ErrorKind.Security,
        $"Repository key '{key}' is not a plain relative key (empty, '.' or '..' component, leading '/', backslash or control character): refused.")
{
    public string Key { get; } = key;
}
