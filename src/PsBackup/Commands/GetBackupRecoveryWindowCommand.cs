using System.Management.Automation;
using PsBackup.Engine.Operations;
using PsBackup.Completers;
using PsBackup.Infrastructure;

namespace PsBackup.Commands;

/// <summary>
/// <para type="synopsis">Shows, per PostgreSQL cluster target, the earliest and latest moment a point-in-time restore can reach.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "BackupRecoveryWindow")]
[OutputType(typeof(RecoveryWindow))]
public sealed class GetBackupRecoveryWindowCommand : RepositoryCmdlet
{
    /// <summary>Collection names (wildcards allowed); binds from Get-BackupCollection's and Get-Backup's Collection/Name. Default: all.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(CollectionNameCompleter))]
    public string[]? Collection { get; set; }

    /// <summary>Unlocks an encrypted collection (its timeline history files are read); $env:PSBACKUP_PASSPHRASE is used when omitted.</summary>
    [Parameter]
    public System.Security.SecureString? EncryptionPassphrase { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var collection in Collection ?? [null!])
        {
            var query = new RecoveryWindowQuery { Repository = Address(), Collection = collection, Passphrase = PlainText(EncryptionPassphrase) };
            RunEngine(collection, async (engine, bridge, ct) =>
            {
                foreach (var window in await engine.GetRecoveryWindowsAsync(query, ct))
                    bridge.Output(window);
            });
        }
    }
}
