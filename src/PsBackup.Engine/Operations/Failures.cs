using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Operations;

/// <summary>The operations whose items (targets, backups) fail one at a time while the rest go on.</summary>
internal enum OperationKind { Backup, Restore, Copy }

/// <summary>
/// The one failure shape every runner reports: any exception of one item becomes the engine's
/// typed error, keeping the original ErrorId when it already is one.
/// </summary>
internal static class Failures
{
    public static PsBackupException Of(Exception e, string subject, OperationKind operation) => e switch
    {
        PsBackupException typed => typed,
        UnauthorizedAccessException when operation != OperationKind.Copy => new TargetUnavailableException($"Target '{subject}': access denied: {e.Message}", e),
        _ when operation == OperationKind.Restore => new RestoreFailedException($"Restore of target '{subject}' failed: {e.Message}", e),
        _ when operation == OperationKind.Copy => new CopyFailedException($"Backup '{subject}' was not copied: {e.GetType().Name}: {e.Message}", e),
        IOException => new BackupFailedException($"Target '{subject}': {e.Message}", e),
        _ => new BackupFailedException($"Target '{subject}' failed: {e.GetType().Name}: {e.Message}", e),
    };
}
