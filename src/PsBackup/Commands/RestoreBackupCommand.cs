using System.Management.Automation;
using System.Security;
using PsBackup.Engine.Operations;
using PsBackup.Infrastructure;

namespace PsBackup.Commands;

/// <summary>
/// <para type="synopsis">Restores a backup (walking its incremental chain) to the original location or -Destination.</para>
/// </summary>
[Cmdlet(VerbsData.Restore, "Backup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(RestoreResult))]
public sealed class RestoreBackupCommand : PsBackupCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("BackupId")]
    public string Id { get; set; } = "";

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Collection { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Repository { get; set; }

    /// <summary>Where to restore. With several targets, each goes to a sub-directory named after it.</summary>
    [Parameter(Position = 1)]
    public string? Destination { get; set; }

    /// <summary>Restore only these targets.</summary>
    [Parameter]
    public string[]? Target { get; set; }

    /// <summary>Overwrite existing files.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SecureString? EncryptionPassphrase { get; set; }

    protected override void ProcessRecord()
    {
        var destination = Destination == null ? null : ResolvePath(Destination);
        if (!ShouldProcess(Id, destination == null ? "Restore backup to its original location" : $"Restore backup to '{destination}'")) return;
        var request = new RestoreRequest(Id)
        {
            Repository = ResolveRepository(Repository),
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
