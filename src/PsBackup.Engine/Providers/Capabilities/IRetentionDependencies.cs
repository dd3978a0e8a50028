using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers.Capabilities;

/// <summary>
/// A kind whose data in a backup needs other backups besides the parent chain, which retention
/// always follows. A kept backup keeps what its targets declare here, with the reason
/// "required by &lt;id&gt;" (docs/design.md, "Retention").
/// </summary>
public interface IRetentionDependencies
{
    /// <summary>Ids of the backups <paramref name="target"/> of <paramref name="backup"/> cannot be restored without.</summary>
    IEnumerable<string> RequiredBackups(BackupManifest backup, TargetRecord target);
}
