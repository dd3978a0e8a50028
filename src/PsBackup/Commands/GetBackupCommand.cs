using System.Management.Automation;
using PsBackup.Engine.Operations;
using PsBackup.Completers;
using PsBackup.Infrastructure;

namespace PsBackup.Commands;

/// <summary>
/// <para type="synopsis">Lists committed backups, oldest first.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "Backup")]
[OutputType(typeof(BackupInfo))]
public sealed class GetBackupCommand : RepositoryCmdlet
{
    /// <summary>Collection names (wildcards allowed); binds from Get-BackupCollection's Name. Default: all.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(CollectionNameCompleter))]
    public string[]? Collection { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(BackupIdCompleter))]
    public string? Id { get; set; }

    /// <summary>Only the newest backup of each collection.</summary>
    [Parameter]
    public SwitchParameter Latest { get; set; }

    [Parameter]
    public BackupType? Type { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var collection in Collection ?? [null!])
        {
            var query = new BackupQuery { Repository = Address(), Collection = collection, Id = Id, Latest = Latest, Type = Type };
            RunEngine(collection, async (engine, bridge, ct) =>
            {
                foreach (var backup in await engine.GetBackupsAsync(query, ct))
                    bridge.Output(backup);
            });
        }
    }
}
