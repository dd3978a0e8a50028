using System.Net;

namespace PsBackup.Engine.Providers;

/// <summary>
/// For engines that keep something on the backed-up server for a collection (a PostgreSQL
/// replication slot and publication): its status, and its removal with the collection.
/// </summary>
public interface ITargetResources
{
    /// <summary>What the server holds for this collection's target (slots and the WAL they retain …).</summary>
    Task<BackupTargetStatus> GetStatusAsync(string repositoryId, string collection, BackupTarget target, NetworkCredential? credential, CancellationToken ct);

    /// <summary>Removes it; throws a PsBackupException naming what could not be removed.</summary>
    Task DropAsync(string repositoryId, string collection, BackupTarget target, NetworkCredential? credential, CancellationToken ct);
}
