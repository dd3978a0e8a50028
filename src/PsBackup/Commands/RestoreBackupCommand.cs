using System.Management.Automation;
using PsBackup.Engine.Operations;
using PsBackup.Infrastructure;

namespace PsBackup.Commands;

/// <summary>
/// <para type="synopsis">Restores a backup (walking its incremental chain) to the original location or -Destination.</para>
/// </summary>
[Cmdlet(VerbsData.Restore, "Backup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(RestoreResult))]
public sealed class RestoreBackupCommand : BackupIdCmdlet
{
    /// <summary>Where to restore. With several targets, each goes to a sub-directory named after it.</summary>
    [Parameter(Position = 1)]
    public string? Destination { get; set; }

    /// <summary>Restore only these targets.</summary>
    [Parameter]
    public string[]? Target { get; set; }

    /// <summary>Overwrite existing files.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var destination = Destination == null ? null : ResolvePath(Destination);
        if (!ShouldProcess(Id, destination == null ? "Restore backup to its original location" : $"Restore backup to '{destination}'")) return;
        var request = new RestoreRequest(Id)
        {
            Repository = Address(),
            Collection = Collection,
            Destination = destination,
            Targets = Target,
            Force = Force,
            Passphrase = PlainText(EncryptionPassphrase),
        };
        RunEngine(Id, async (engine, bridge, ct) =>
        {
            await foreach (var outcome in engine.RestoreAsync(request, bridge, ct))
            {
                if (outcome.Error != null) bridge.Error(ErrorMapping.ToRecord(outcome.Error, outcome.Target));
                else bridge.Output(outcome.Result!);
            }
        });
    }
}
