using System.Management.Automation;
using System.Security;
using PsBackup.Engine.Operations;
using PsBackup.Completers;
using PsBackup.Infrastructure;

namespace PsBackup.Commands;

/// <summary>
/// <para type="synopsis">Backs up a collection, full or incremental, and writes the committed backup to the pipeline.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "Backup")]
[OutputType(typeof(BackupInfo))]
public sealed class InvokeBackupCommand : RepositoryCmdlet
{
    /// <summary>The collection; binds from Get-BackupCollection's Name.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Collection")]
    [ArgumentCompleter(typeof(CollectionNameCompleter))]
    public string Name { get; set; } = "";

    /// <summary>Back up only what changed since the collection's latest backup.</summary>
    [Parameter]
    public SwitchParameter Incremental { get; set; }

    [Parameter]
    public SecureString? EncryptionPassphrase { get; set; }

    /// <summary>Login for every database target (PostgreSQL, Redis); used for this call only, never stored.</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>Logins per target: @{ orders = (Get-Credential); cache = $redisCred }. Overrides -Credential for those targets.</summary>
    [Parameter]
    public System.Collections.Hashtable? TargetCredential { get; set; }

    /// <summary>How many parts of a target (PostgreSQL tables …) are read at once.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = BackupRequest.DefaultThrottleLimit;

    protected override void ProcessRecord()
    {
        var request = new BackupRequest(Name)
        {
            Repository = Address(),
            Type = Incremental ? BackupType.Incremental : BackupType.Full,
            Passphrase = PlainText(EncryptionPassphrase),
            Credentials = Credentials(Credential, TargetCredential),
            ThrottleLimit = ThrottleLimit,
        };
        RunEngine(Name, async (engine, bridge, ct) =>
        {
            var result = await engine.InvokeBackupAsync(request, bridge, ct);
            foreach (var warning in result.Warnings)
                bridge.Warning(warning);
            foreach (var failure in result.Failures)
                bridge.Error(ErrorMapping.ToRecord(failure.Error, failure.Target));
            bridge.Output(result.Backup);
        });
    }
}
