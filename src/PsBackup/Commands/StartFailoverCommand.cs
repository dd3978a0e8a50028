using System.Management.Automation;
using System.Security;
using PsBackup.Completers;
using PsBackup.Engine.Operations;
using PsBackup.Infrastructure;

namespace PsBackup.Commands;

/// <summary>
/// <para type="synopsis">Promotes a target's replica after checking what it would lose, runs your hooks around it, points the collection at the new primary and starts a new backup chain.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "Failover", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(FailoverStep), typeof(FailoverSummary))]
public sealed class StartFailoverCommand : RepositoryCmdlet
{
    /// <summary>The collection; binds from Get-BackupCollection's Name.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(CollectionNameCompleter))]
    public string Collection { get; set; } = "";

    /// <summary>The target to fail over; default: the collection's one target whose servers replicate.</summary>
    [Parameter]
    public string? Target { get; set; }

    /// <summary>host:port of the replica to promote; default: the reachable, linked replica with the least lag.</summary>
    [Parameter]
    public string? Standby { get; set; }

    /// <summary>The most data, in bytes of the server's log, the promotion may lose (0 by default); more, or an unknown amount, needs -Force.</summary>
    [Parameter]
    [ValidateRange(0, long.MaxValue)]
    public long MaxDataLoss { get; set; }

    /// <summary>Runs before the promotion (stop writers, fence the old primary), with $_ the failover's context; a throw stops the failover.</summary>
    [Parameter]
    public ScriptBlock? BeforePromote { get; set; }

    /// <summary>Runs once the promoted server took a write and the collection points at it (switch DNS, scale services).</summary>
    [Parameter]
    public ScriptBlock? AfterPromote { get; set; }

    /// <summary>Fail over although the estimated loss is above -MaxDataLoss or unknown.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Do not start the full backup of the new chain (run Invoke-Backup yourself).</summary>
    [Parameter]
    public SwitchParameter NoBackup { get; set; }

    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    [Parameter]
    public System.Collections.Hashtable? TargetCredential { get; set; }

    /// <summary>For an encrypted collection: the new full backup needs it (default $env:PSBACKUP_PASSPHRASE).</summary>
    [Parameter]
    public SecureString? EncryptionPassphrase { get; set; }

    protected override void ProcessRecord()
    {
        var request = new FailoverRequest(Collection)
        {
            Repository = Address(),
            Target = Target,
            Standby = Standby,
            MaxDataLossBytes = MaxDataLoss,
            Force = Force,
            Backup = !NoBackup,
            Credentials = Credentials(Credential, TargetCredential),
            Passphrase = PlainText(EncryptionPassphrase),
        };
        FailoverPlan? plan = null;
        RunEngine(Collection, async (engine, _, ct) => plan = await engine.PlanFailoverAsync(request, ct));
        if (plan == null) return;
        if (plan.WouldRefuse && !Force)
            WriteWarning($"The estimated data loss ({plan.EstimatedDataLossBytes?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"} bytes) is above -MaxDataLoss {MaxDataLoss}: the failover will be refused unless -Force ({plan.Basis}).");
        if (!ShouldProcess(plan.Describe(), "Start-Failover")) return;
        RunEngine(Collection, async (engine, bridge, ct) =>
        {
            var hooked = request with
            {
                BeforePromote = Hook(BeforePromote, bridge),
                AfterPromote = Hook(AfterPromote, bridge),
            };
            var summary = await engine.FailoverAsync(hooked, bridge.Output, bridge, ct);
            bridge.Output(summary);
        });
    }

    /// <summary>A script block as the engine's hook: run on the pipeline thread, $_ and $args[0] the context.</summary>
    private static Func<FailoverHookContext, CancellationToken, Task>? Hook(ScriptBlock? block, PipelineBridge bridge) =>
        block == null ? null : (context, _) => bridge.InvokeAsync(_ =>
            block.InvokeWithContext(null, [new PSVariable("_", context)], context));
}
