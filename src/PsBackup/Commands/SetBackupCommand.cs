using System.Management.Automation;
using PsBackup.Engine.Operations;
using PsBackup.Infrastructure;

namespace PsBackup.Commands;

/// <summary>
/// <para type="synopsis">Pins, unpins or tags a committed backup. Pinned backups (and the backups they need) are never deleted by Invoke-RetentionPolicy.</para>
/// </summary>
[Cmdlet(VerbsCommon.Set, "Backup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(BackupInfo))]
public sealed class SetBackupCommand : BackupAddressCmdlet
{
    /// <summary>-Pinned pins the backup; -Pinned:$false unpins it; omitted leaves it as it is.</summary>
    [Parameter]
    public SwitchParameter Pinned { get; set; }

    /// <summary>Replaces the backup's tags; @() removes them all; omitted leaves them as they are.</summary>
    [Parameter]
    [AllowEmptyCollection]
    public string[]? Tag { get; set; }

    /// <summary>Writes the updated backup to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var pinned = MyInvocation.BoundParameters.ContainsKey(nameof(Pinned)) ? Pinned.IsPresent : (bool?)null;
        var change = string.Join(", ", new[]
        {
            pinned == null ? null : pinned.Value ? "pin" : "unpin",
            Tag == null ? null : Tag.Length == 0 ? "remove tags" : $"set tags {string.Join(", ", Tag)}",
        }.Where(c => c != null));
        if (!ShouldProcess(Id, change.Length == 0 ? "Set backup labels" : change)) return;
        var request = new SetBackupRequest(Id)
        {
            Repository = Address(),
            Collection = string.IsNullOrEmpty(Collection) ? null : Collection,
            Pinned = pinned,
            Tags = Tag,
        };
        RunEngine(Id, async (engine, bridge, ct) =>
        {
            var backup = await engine.SetBackupAsync(request, ct);
            if (PassThru) bridge.Output(backup);
        });
    }
}
