using System.Management.Automation;
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
    public string[] Name { get; set; } = [];

    protected override void ProcessRecord()
    {
        foreach (var name in Name)
        {
            if (!ShouldProcess(name, "Remove backup collection and all its backups")) continue;
            RunEngine(name, (engine, _, ct) => engine.RemoveCollectionAsync(Address(), name, ct));
        }
    }
}
