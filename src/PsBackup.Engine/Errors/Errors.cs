namespace PsBackup.Engine.Errors;

// The engine's typed errors. Each has one stable ErrorId; keep messages actionable.

public sealed class RepositoryFormatException(string message)
    : PsBackupException("RepositoryFormatUnsupported", ErrorKind.InvalidData, message);

public sealed class RepositoryNotFoundException(string location)
    : PsBackupException("RepositoryNotFound", ErrorKind.NotFound,
        $"No PsBackup repository at '{location}'. Create a collection there first (New-BackupCollection -Repository '{location}').")
{ }

public sealed class CollectionNotFoundException(string name, string repository)
    : PsBackupException("CollectionNotFound", ErrorKind.NotFound,
        $"Backup collection '{name}' does not exist in repository '{repository}'. Get-BackupCollection lists the collections there.")
{ }

public sealed class CollectionExistsException(string name, string repository)
    : PsBackupException("CollectionExists", ErrorKind.AlreadyExists,
        $"Backup collection '{name}' already exists in repository '{repository}'. Use -IfNotExists to accept an existing one.")
{ }

public sealed class BackupNotFoundException(string message)
    : PsBackupException("BackupNotFound", ErrorKind.NotFound, message);

public sealed class InvalidBackupRequestException(string errorId, string message)
    : PsBackupException(errorId, ErrorKind.InvalidArgument, message);

public sealed class LockConflictException(string message)
    : PsBackupException("CollectionLocked", ErrorKind.ResourceBusy, message);

public sealed class LockLostException(string message)
    : PsBackupException("CollectionLockLost", ErrorKind.ResourceBusy, message);

public sealed class IntegrityException(string message, Exception? inner = null)
    : PsBackupException("ArtifactCorrupt", ErrorKind.InvalidData, message, inner);

public sealed class WrongPassphraseException(string collection)
    : PsBackupException("WrongPassphrase", ErrorKind.Security,
        $"The passphrase does not unlock collection '{collection}'. Check -EncryptionPassphrase or PSBACKUP_PASSPHRASE.")
{ }

public sealed class PassphraseRequiredException(string collection)
    : PsBackupException("PassphraseRequired", ErrorKind.Security,
        $"Collection '{collection}' is encrypted: pass -EncryptionPassphrase or set PSBACKUP_PASSPHRASE.")
{ }

public sealed class UnsafePathException(string message)
    : PsBackupException("UnsafeRestorePath", ErrorKind.Security, message);

public sealed class RestoreConflictException(string message)
    : PsBackupException("RestoreWouldOverwrite", ErrorKind.AlreadyExists, message);

public sealed class TargetUnavailableException(string message, Exception? inner = null)
    : PsBackupException("TargetUnavailable", ErrorKind.ResourceUnavailable, message, inner);

public sealed class ObjectNotFoundException(string key)
    : PsBackupException("ObjectNotFound", ErrorKind.NotFound, $"Repository object '{key}' does not exist.")
{
    public string Key { get; } = key;
}

public sealed class ArtifactMissingException(string message)
    : PsBackupException("ArtifactMissing", ErrorKind.InvalidData, message);

public sealed class BackupFailedException(string message, Exception? inner = null)
    : PsBackupException("BackupFailed", ErrorKind.WriteError, message, inner);

public sealed class RestoreFailedException(string message, Exception? inner = null)
    : PsBackupException("RestoreFailed", ErrorKind.WriteError, message, inner);

public sealed class CollectionMismatchException(string message)
    : PsBackupException("CollectionMismatch", ErrorKind.InvalidData, message);

public sealed class CopyFailedException(string message, Exception? inner = null)
    : PsBackupException("CopyFailed", ErrorKind.WriteError, message, inner);

public sealed class TargetAuthenticationException(string message, Exception? inner = null)
    : PsBackupException("TargetAuthenticationFailed", ErrorKind.Security, message, inner);
