using System.Management.Automation;
using PsBackup.Engine.Operations;
using PsBackup.Infrastructure;

namespace PsBackup.Commands;

/// <summary>
/// <para type="synopsis">Removes PsBackup's bucket lifecycle rules of an S3 repository; the bucket's other rules are kept.</para>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "BackupStorageLifecycle", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveBackupStorageLifecycleCommand : RepositoryCmdlet
{
    protected override void ProcessRecord()
    {
        var address = Address();
        StorageLifecyclePlan? plan = null;
        RunEngine(Repository, async (engine, _, ct) => plan = await engine.PlanStorageLifecycleAsync(address, null, ct));
        if (plan == null || !ShouldProcess(plan.Current.Repository, plan.Description)) return;
        RunEngine(Repository, (engine, _, ct) => engine.SetStorageLifecycleAsync(address, null, ct));
    }
}
