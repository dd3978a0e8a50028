using System.Management.Automation;
using PsBackup.Completers;
using PsBackup.Engine.Operations;
using PsBackup.Infrastructure;

namespace PsBackup.Commands;

/// <summary>
/// <para type="synopsis">Checks that disaster recovery would work now: repositories and their DR copy, backup ages, the last drill, the archived log, the targets' servers and replicas.</para>
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "DrEnvironment")]
[OutputType(typeof(DrCheck), typeof(bool))]
public sealed class TestDrEnvironmentCommand : RepositoryCmdlet
{
    /// <summary>Collection names or wildcards; default: every collection of the repository. Binds from Get-BackupCollection's Name.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(CollectionNameCompleter))]
    public string[]? Collection { get; set; }

    /// <summary>The disaster-recovery copy of the repository (Copy-Backup's -DestinationRepository).</summary>
    [Parameter]
    public string? DrRepository { get; set; }

    [Parameter]
    public string? DrS3Endpoint { get; set; }

    [Parameter]
    public string? DrS3Region { get; set; }

    [Parameter]
    [Credential]
    public PSCredential? DrS3Credential { get; set; }

    [Parameter]
    public TimeSpan MaxBackupAge { get; set; } = TimeSpan.FromDays(1);

    [Parameter]
    public TimeSpan MaxDrillAge { get; set; } = TimeSpan.FromDays(7);

    [Parameter]
    public TimeSpan? Rpo { get; set; }

    [Parameter]
    public TimeSpan? Rto { get; set; }

    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    [Parameter]
    public System.Collections.Hashtable? TargetCredential { get; set; }

    /// <summary>Writes one bool instead of the checks: $true when no check failed (warnings pass).</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    protected override void ProcessRecord()
    {
        var request = new DrEnvironmentRequest
        {
            Repository = Address(),
            DrRepository = string.IsNullOrEmpty(DrRepository) ? null : Address(this, DrRepository, DrS3Endpoint, DrS3Region, DrS3Credential),
            Collections = Collection ?? [],
            MaxBackupAge = MaxBackupAge,
            MaxDrillAge = MaxDrillAge,
            Rpo = Rpo,
            Rto = Rto,
            Credentials = Credentials(Credential, TargetCredential),
        };
        RunEngine(Collection == null ? null : string.Join(", ", Collection), async (engine, bridge, ct) =>
        {
            var checks = await engine.TestDrEnvironmentAsync(request, ct);
            if (Quiet)
                bridge.Output(checks.Count > 0 && checks.All(c => c.Status != DrCheckStatus.Fail));
            else
                foreach (var check in checks) bridge.Output(check);
        });
    }
}
