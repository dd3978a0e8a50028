using System.Management.Automation;
using PsBackup.Completers;
using PsBackup.Engine.Operations;
using PsBackup.Infrastructure;

namespace PsBackup.Commands;

/// <summary>
/// <para type="synopsis">Proves that backups come back as working data: restores the latest (or the given) backup of each target into a scratch place, checks it against what the backup recorded, measures the recovery time (RTO) and data loss (RPO), removes the scratch place and records the result in the repository.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "RestoreDrill", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(RestoreDrillResult))]
public sealed class InvokeRestoreDrillCommand : RepositoryCmdlet
{
    /// <summary>The collections (names or wildcards); binds from Get-BackupCollection's Name and Get-Backup's Collection.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(CollectionNameCompleter))]
    public string[] Collection { get; set; } = [];

    /// <summary>The backup to drill; binds from Get-Backup's Id. Default: per target, the newest backup holding a complete copy of it.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("BackupId")]
    [ArgumentCompleter(typeof(BackupIdCompleter))]
    public string? Id { get; set; }

    /// <summary>Drill only these targets.</summary>
    [Parameter]
    public string[]? Target { get; set; }

    /// <summary>The recovery time objective: a drill whose restore (until the data can serve) takes longer fails (RestoreDrillObjectiveMissed).</summary>
    [Parameter]
    public TimeSpan? MaxRto { get; set; }

    /// <summary>The recovery point objective: a drill whose data loss (now minus the newest moment recovered) is larger fails (RestoreDrillObjectiveMissed).</summary>
    [Parameter]
    public TimeSpan? MaxRpo { get; set; }

    /// <summary>Leave the restored data in place (RestoredTo says where); servers the drill started are still stopped.</summary>
    [Parameter]
    public SwitchParameter KeepRestored { get; set; }

    /// <summary>Database kinds: create the scratch database on this server instead of the target's own (a connection string or URI).</summary>
    [Parameter]
    public string? DrillServer { get; set; }

    /// <summary>PostgreSQL cluster targets: recover to this moment instead of the end of the archived WAL.</summary>
    [Parameter]
    public DateTimeOffset? PointInTime { get; set; }

    /// <summary>PostgreSQL: a query that must succeed on the restored data (and, when it returns a value, return true or non-zero).</summary>
    [Parameter]
    public string? VerifyQuery { get; set; }

    /// <summary>Unlocks an encrypted collection; $env:PSBACKUP_PASSPHRASE is used when omitted.</summary>
    [Parameter]
    public System.Security.SecureString? EncryptionPassphrase { get; set; }

    /// <summary>Login for every database target's server (or -DrillServer); used for this call only, never stored.</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>Logins per target: @{ orders = (Get-Credential) }. Overrides -Credential for those targets.</summary>
    [Parameter]
    public System.Collections.Hashtable? TargetCredential { get; set; }

    /// <summary>How many parts of a target (PostgreSQL tables …) are restored and checked at once.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = BackupRequest.DefaultThrottleLimit;

    protected override void ProcessRecord()
    {
        var repository = Address();
        var credentials = Credentials(Credential, TargetCredential);
        foreach (var collection in Collection)
        {
            var request = new RestoreDrillRequest(collection)
            {
                Repository = repository,
                Id = Id,
                Targets = Target,
                Passphrase = PlainText(EncryptionPassphrase),
                Credentials = credentials,
                DrillServer = DrillServer,
                PointInTime = PointInTime,
                VerifyQuery = VerifyQuery,
                MaxRto = MaxRto,
                MaxRpo = MaxRpo,
                KeepRestored = KeepRestored,
                ThrottleLimit = ThrottleLimit,
            };
            // Plan first (which backup per target, into what scratch place), confirm each step, then drill the approved ones.
            List<RestoreDrillPlan>? plans = null;
            RunEngine(collection, async (engine, _, ct) => plans = await engine.PlanRestoreDrillAsync(request, ct));
            if (plans == null) continue;
            var approved = new HashSet<string>(StringComparer.Ordinal);
            foreach (var plan in plans)
                foreach (var step in plan.Steps)
                {
                    var backup = step.BackupId.Length == 0 ? "no backup yet" : $"backup {step.BackupId}";
                    if (ShouldProcess($"target '{step.Target}' ({step.Kind}) of collection '{plan.Collection}', {backup}",
                            $"Restore drill into {step.Scratch}{(step.Recovery == null ? "" : $", recovered to {step.Recovery}")}, checked, then {(KeepRestored ? "kept" : "removed")}"))
                        approved.Add(step.Key);
                }
            if (approved.Count == 0) continue;
            RunEngine(collection, async (engine, bridge, ct) =>
            {
                await foreach (var outcome in engine.InvokeRestoreDrillAsync(request with { Approved = approved }, bridge, ct))
                {
                    foreach (var warning in outcome.Warnings) bridge.Warning(warning);
                    if (outcome.Stages.Length > 0) bridge.Verbose($"Restore drill of target '{outcome.Result.Target}': {outcome.Stages}.");
                    bridge.Output(outcome.Result); // failed drills too: the result says why, and Pester counts them
                    if (outcome.Error != null) bridge.Error(ErrorMapping.ToRecord(outcome.Error, outcome.Result.Target));
                }
            });
        }
    }
}
