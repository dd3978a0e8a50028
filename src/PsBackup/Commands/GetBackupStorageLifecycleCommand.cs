using System.Management.Automation;
using PsBackup.Infrastructure;

namespace PsBackup.Commands;

/// <summary>
/// <para type="synopsis">Shows PsBackup's bucket lifecycle rules for an S3 repository: when its backups move to colder storage classes and when they expire.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "BackupStorageLifecycle")]
[OutputType(typeof(StorageLifecycle))]
public sealed class GetBackupStorageLifecycleCommand : RepositoryCmdlet
{
    protected override void ProcessRecord() =>
        RunEngine(Repository, async (engine, bridge, ct) => bridge.Output(await engine.GetStorageLifecycleAsync(Address(), ct)));
}
