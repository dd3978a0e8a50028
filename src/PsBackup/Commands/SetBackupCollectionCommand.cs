using System.Management.Automation;
using PsBackup.Engine.Operations;
using PsBackup.Completers;
using PsBackup.Infrastructure;

namespace PsBackup.Commands;

/// <summary>
/// <para type="synopsis">Changes a backup collection's mutable settings: its stored retention policy, whether incrementals are allowed, the compression of new backups.</para>
/// </summary>
[Cmdlet(VerbsCommon.Set, "BackupCollection", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(BackupCollectionInfo))]
public sealed class SetBackupCollectionCommand : RepositoryCmdlet
{
    /// <summary>Binds from Get-BackupCollection's Name.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(CollectionNameCompleter))]
    public string[] Name { get; set; } = [];

    /// <summary>The policy Invoke-RetentionPolicy applies when given none; $null removes the stored policy.</summary>
    [Parameter]
    [AllowNull]
    public RetentionPolicy? RetentionPolicy { get; set; }

    /// <summary>-IncrementalBackupEnabled allows incrementals; -IncrementalBackupEnabled:$false forbids new ones.</summary>
    [Parameter]
    public SwitchParameter IncrementalBackupEnabled { get; set; }

    /// <summary>Compression of new backups (each backup records its own).</summary>
    [Parameter]
    public CompressionKind Compression { get; set; }

    /// <summary>Writes the updated collection to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>The replicas (host:port) the target names from now on: a PostgreSQL cluster's standbys, a Redis target's other servers.</summary>
    [Parameter]
    [AllowEmptyCollection]
    public string[]? Standby { get; set; }

    /// <summary>The target -Standby applies to; default: the collection's one target whose servers replicate.</summary>
    [Parameter]
    public string? Target { get; set; }

    protected override void ProcessRecord()
    {
        var bound = MyInvocation.BoundParameters;
        foreach (var name in Name)
        {
            var request = new SetCollectionRequest(name)
            {
                Repository = Address(),
                RetentionPolicy = RetentionPolicy,
                RemoveRetentionPolicy = bound.ContainsKey(nameof(RetentionPolicy)) && RetentionPolicy == null,
                IncrementalBackupEnabled = bound.ContainsKey(nameof(IncrementalBackupEnabled)) ? IncrementalBackupEnabled.IsPresent : null,
                Compression = bound.ContainsKey(nameof(Compression)) ? Compression : null,
                Standby = Standby,
                Target = Target,
            };
            if (!ShouldProcess(name, "Change backup collection settings")) continue;
            RunEngine(name, async (engine, bridge, ct) =>
            {
                var collection = await engine.SetCollectionAsync(request, ct);
                if (PassThru) bridge.Output(collection);
            });
        }
    }
}
