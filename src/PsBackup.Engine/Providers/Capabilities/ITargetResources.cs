using System.Net;

namespace PsBackup.Engine.Providers.Capabilities;

/// <summary>
/// A kind that keeps something on the backed-up server for a collection (a replication slot …):
/// Get-BackupTargetStatus shows it, Remove-BackupCollection removes it.
/// </summary>
public interface ITargetResources
{
    /// <summary>What the server holds for this collection's target and what it costs there.</summary>
    Task<BackupTargetStatus> GetStatusAsync(string repositoryId, string collection, BackupTarget target, NetworkCredential? credential, CancellationToken ct);

    /// <summary>Removes it; throws a PsBackupException naming what could not be removed.</summary>
    Task DropAsync(string repositoryId, string collection, BackupTarget target, NetworkCredential? credential, CancellationToken ct);
}
