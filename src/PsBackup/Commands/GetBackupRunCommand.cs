using System.Management.Automation;
using PsBackup.Completers;
using PsBackup.Engine.Operations;
using PsBackup.Infrastructure;

namespace PsBackup.Commands;

/// <summary>
/// <para type="synopsis">Lists the runs recorded in collections' run journals: every Invoke-Backup (also failed and cancelled ones), Test-Backup, restore drill, Copy-Backup and retention run, with its outcome, ErrorId, duration and bytes.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "BackupRun")]
[OutputType(typeof(BackupRun))]
public sealed class GetBackupRunCommand : RepositoryCmdlet
{
    /// <summary>Collection names (wildcards allowed); binds from Get-BackupCollection's Name and Get-Backup's Collection. Default: all.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(CollectionNameCompleter))]
    public string[]? Collection { get; set; }

    /// <summary>Only runs that did not succeed: Partial, Failed and Cancelled.</summary>
    [Parameter]
    public SwitchParameter Failed { get; set; }

    /// <summary>Only runs of this operation (Backup, Verify, Drill, Copy, Retention).</summary>
    [Parameter]
    public RunOperation? Operation { get; set; }

    /// <summary>Only the newest N matching runs of each collection.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? Last { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var collection in Collection ?? [null!])
        {
            var query = new RunQuery { Repository = Address(), Collection = collection, Failed = Failed, Operation = Operation, Last = Last };
            RunEngine(collection, async (engine, bridge, ct) =>
            {
                var found = await engine.GetRunsAsync(query, ct);
                foreach (var run in found.Runs)
                    bridge.Output(run);
                foreach (var damaged in found.Damaged)
                    bridge.Error(ErrorMapping.ToRecord(damaged, collection));
            });
        }
    }
}
