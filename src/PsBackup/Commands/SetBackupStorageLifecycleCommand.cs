using System.Management.Automation;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Storage.S3;
using PsBackup.Infrastructure;

namespace PsBackup.Commands;

/// <summary>
/// <para type="synopsis">Sets the bucket lifecycle rules of an S3 repository: after how many days its backups move to colder storage classes, and when they expire. Other rules of the bucket are kept.</para>
/// </summary>
[Cmdlet(VerbsCommon.Set, "BackupStorageLifecycle", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(StorageLifecycle))]
public sealed class SetBackupStorageLifecycleCommand : RepositoryCmdlet
{
    // Days count from when an object was written. Each binds from Get-BackupStorageLifecycle's
    // property of the same name, so a lifecycle can be piped to another repository.

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int? TransitionToStandardIADays { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int? TransitionToIntelligentTieringDays { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int? TransitionToOneZoneIADays { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int? TransitionToGlacierIRDays { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int? TransitionToGlacierDays { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int? TransitionToDeepArchiveDays { get; set; }

    /// <summary>Days after which backups expire: S3 deletes the manifest that day, the data a day later.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int? ExpireAfterDays { get; set; }

    protected override void ProcessRecord()
    {
        var transitions = new Dictionary<string, int>();
        void Add(string storageClass, int? days) { if (days is { } d) transitions[storageClass] = d; }
        Add("STANDARD_IA", TransitionToStandardIADays);
        Add("INTELLIGENT_TIERING", TransitionToIntelligentTieringDays);
        Add("ONEZONE_IA", TransitionToOneZoneIADays);
        Add("GLACIER_IR", TransitionToGlacierIRDays);
        Add("GLACIER", TransitionToGlacierDays);
        Add("DEEP_ARCHIVE", TransitionToDeepArchiveDays);
        var policy = new LifecyclePolicy(transitions, ExpireAfterDays);
        var address = Address();

        // Plan first (validates, reads the bucket's rules) so -WhatIf shows exactly what would be set.
        StorageLifecyclePlan? plan = null;
        RunEngine(Repository, async (engine, _, ct) => plan = await engine.PlanStorageLifecycleAsync(address, policy, ct));
        if (plan == null || !ShouldProcess(plan.Planned.Repository, plan.Description)) return;
        RunEngine(Repository, async (engine, bridge, ct) => bridge.Output(await engine.SetStorageLifecycleAsync(address, policy, ct)));
    }
}
