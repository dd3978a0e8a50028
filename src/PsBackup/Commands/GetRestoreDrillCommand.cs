using System.Management.Automation;
using PsBackup.Completers;
using PsBackup.Engine.Operations;
using PsBackup.Infrastructure;

namespace PsBackup.Commands;

/// <summary>
/// <para type="synopsis">Lists the restore drills recorded in the repository (Invoke-RestoreDrill's evidence), one result per drilled target, oldest first.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "RestoreDrill")]
[OutputType(typeof(RestoreDrillResult))]
public sealed class GetRestoreDrillCommand : RepositoryCmdlet
{
    /// <summary>Collection names (wildcards allowed); binds from Get-BackupCollection's Name and Get-Backup's Collection. Default: all.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(CollectionNameCompleter))]
    public string[]? Collection { get; set; }

    /// <summary>Only the drills of this backup; binds from Get-Backup's Id.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("BackupId")]
    [ArgumentCompleter(typeof(BackupIdCompleter))]
    public string? Id { get; set; }

    /// <summary>Only the newest drill run of each collection (with -Id: of that backup).</summary>
    [Parameter]
    public SwitchParameter Latest { get; set; }

    /// <summary>Only drills that started at or after this moment.</summary>
    [Parameter]
    public DateTimeOffset? Since { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var collection in Collection ?? [null!])
        {
            var query = new RestoreDrillQuery { Repository = Address(), Collection = collection, BackupId = Id, Latest = Latest, Since = Since };
            RunEngine(collection, async (engine, bridge, ct) =>
            {
                var records = await engine.GetRestoreDrillsAsync(query, ct);
                foreach (var drill in records.Drills) bridge.Output(drill);
                foreach (var damaged in records.Damaged) bridge.Error(ErrorMapping.ToRecord(damaged, damaged.TargetObject ?? collection));
            });
        }
    }
}
