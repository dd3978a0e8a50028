using System.Management.Automation;
using PsBackup.Completers;
using PsBackup.Infrastructure;

namespace PsBackup.Commands;

/// <summary>
/// <para type="synopsis">Shows each target of a collection: whether it is reachable with the login, its replication role and lag, and what its server keeps for the collection (PostgreSQL replication slots and the WAL they retain).</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "BackupTargetStatus")]
[OutputType(typeof(BackupTargetStatus))]
public sealed class GetBackupTargetStatusCommand : RepositoryCmdlet
{
    /// <summary>The collection; binds from Get-BackupCollection's Name.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Collection")]
    [ArgumentCompleter(typeof(CollectionNameCompleter))]
    public string Name { get; set; } = "";

    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    [Parameter]
    public System.Collections.Hashtable? TargetCredential { get; set; }

    protected override void ProcessRecord()
    {
        var credentials = Credentials(Credential, TargetCredential);
        RunEngine(Name, async (engine, bridge, ct) =>
        {
            await foreach (var status in engine.GetTargetStatusAsync(Address(), Name, credentials, ct))
                bridge.Output(status);
        });
    }
}
