using System.Management.Automation;
using System.Security;
using PsBackup.Completers;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Operations;
using PsBackup.Infrastructure;

namespace PsBackup.Commands;

/// <summary>
/// <para type="synopsis">Backs up one or more collections, full or incremental, and writes each committed backup to the pipeline.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "Backup")]
[OutputType(typeof(BackupInfo))]
public sealed class InvokeBackupCommand : RepositoryCmdlet
{
    private readonly List<BackupRequest> _requests = [];

    /// <summary>The collections: names or wildcards; binds from Get-BackupCollection's Name. Several run in parallel (-CollectionThrottleLimit).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Collection")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(CollectionNameCompleter))]
    public string[] Name { get; set; } = [];

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

    /// <summary>How many collections are backed up at once when several are given (names, wildcards, piped collections).</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int CollectionThrottleLimit { get; set; } = BackupRequest.DefaultCollectionThrottleLimit;

    /// <summary>Collects the collections (each with the repository it was given with); they run together in EndProcessing.</summary>
    protected override void ProcessRecord()
    {
        var repository = Address();
        var credentials = Credentials(Credential, TargetCredential);
        foreach (var name in Name)
            _requests.Add(new BackupRequest(name)
            {
                Repository = repository,
                Type = Incremental ? BackupType.Incremental : BackupType.Full,
                Passphrase = PlainText(EncryptionPassphrase),
                Credentials = credentials,
                ThrottleLimit = ThrottleLimit,
            });
    }

    protected override void EndProcessing()
    {
        if (_requests.Count == 0) return;
        RunEngine(string.Join(", ", _requests.Select(r => r.Collection)), async (engine, bridge, ct) =>
        {
            await foreach (var outcome in engine.InvokeBackupsAsync(_requests, CollectionThrottleLimit, bridge, ct))
            {
                if (outcome.Error is { } error)
                {
                    bridge.Error(error is PsBackupException known ? ErrorMapping.ToRecord(known, outcome.Collection) : ErrorMapping.ToRecord(error, outcome.Collection));
                    continue;
                }
                var result = outcome.Result!;
                foreach (var warning in result.Warnings)
                    bridge.Warning(warning);
                foreach (var failure in result.Failures)
                    bridge.Error(ErrorMapping.ToRecord(failure.Error, failure.Target));
                bridge.Output(result.Backup);
            }
        });
    }
}
