using System.Management.Automation;
using PsBackup.Completers;
using PsBackup.Infrastructure;

namespace PsBackup.Commands;

/// <summary>
/// <para type="synopsis">Deletes a backup collection and every backup in it.</para>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "BackupCollection", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveBackupCollectionCommand : RepositoryCmdlet
{
    /// <summary>
    /// Binds from Get-BackupCollection's Name only: deliberately no "Collection" alias, so that
    /// Get-Backup | Remove-BackupCollection cannot delete whole collections by accident.
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(CollectionNameCompleter))]
    public string[] Name { get; set; } = [];

    /// <summary>Login for database targets whose server keeps something for the collection (PostgreSQL replication slots).</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>Logins per target: @{ orders = (Get-Credential) }.</summary>
    [Parameter]
    public System.Collections.Hashtable? TargetCredential { get; set; }

    /// <summary>Remove the collection even when a target's server cannot be reached to drop its replication slot (a warning says what to drop by hand).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var name in Name)
        {
            if (!ShouldProcess(name, "Remove backup collection and all its backups")) continue;
            var credentials = Credentials(Credential, TargetCredential);
            RunEngine(name, async (engine, bridge, ct) =>
            {
                foreach (var warning in await engine.RemoveCollectionAsync(Address(), name, credentials, Force, ct))
                    bridge.Warning(warning);
            });
        }
    }
}
