using System.Management.Automation;
using PsBackup.Completers;
using PsBackup.Infrastructure;

namespace PsBackup.Commands;

/// <summary>
/// <para type="synopsis">Lists backup collections of a repository; names accept wildcards.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "BackupCollection")]
[OutputType(typeof(BackupCollectionInfo))]
public sealed class GetBackupCollectionCommand : RepositoryCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(CollectionNameCompleter))]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var name in Name ?? [null!])
            RunEngine(name, async (engine, bridge, ct) =>
            {
                foreach (var collection in await engine.GetCollectionsAsync(Address(), name, ct))
                    bridge.Output(collection);
            });
    }
}
