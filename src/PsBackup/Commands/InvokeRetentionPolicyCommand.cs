using System.Management.Automation;
using PsBackup.Engine.Operations;
using PsBackup.Completers;
using PsBackup.Infrastructure;

namespace PsBackup.Commands;

/// <summary>
/// <para type="synopsis">Applies a grandfather-father-son retention policy to a collection: plans a keep/delete decision for every backup and every stretch of archived WAL, then deletes (chain-safe, manifest first) what the plan and your confirmation allow.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "RetentionPolicy", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(RetentionDecision))]
public sealed class InvokeRetentionPolicyCommand : RepositoryCmdlet
{
    private static readonly string[] RuleParameters =
        [nameof(KeepLast), nameof(KeepHourly), nameof(KeepDaily), nameof(KeepWeekly), nameof(KeepMonthly), nameof(KeepYearly), nameof(KeepWithin), nameof(KeepLogWithin), nameof(KeepTag)];

    private readonly HashSet<string> _done = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The collection; binds from Get-BackupCollection's Name and Get-Backup's Collection.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(CollectionNameCompleter))]
    public string Collection { get; set; } = "";

    /// <summary>The policy to apply instead of the collection's stored one; the -Keep* parameters override its rules.</summary>
    [Parameter]
    public RetentionPolicy? RetentionPolicy { get; set; }

    [Parameter]
    [ValidateRange(-1, int.MaxValue)]
    public int KeepLast { get; set; }

    [Parameter]
    [ValidateRange(-1, int.MaxValue)]
    public int KeepHourly { get; set; }

    [Parameter]
    [ValidateRange(-1, int.MaxValue)]
    public int KeepDaily { get; set; }

    [Parameter]
    [ValidateRange(-1, int.MaxValue)]
    public int KeepWeekly { get; set; }

    [Parameter]
    [ValidateRange(-1, int.MaxValue)]
    public int KeepMonthly { get; set; }

    [Parameter]
    [ValidateRange(-1, int.MaxValue)]
    public int KeepYearly { get; set; }

    [Parameter]
    public TimeSpan KeepWithin { get; set; }

    /// <summary>PostgreSQL cluster targets: keep the WAL to recover to any moment within this span before now; older kept backups keep only the WAL their own restore needs.</summary>
    [Parameter]
    [Alias("KeepWalWithin")]
    public TimeSpan KeepLogWithin { get; set; }

    [Parameter]
    public string[]? KeepTag { get; set; }

    /// <summary>IANA or Windows id of the zone the calendar buckets are counted in; default: the policy's, else the local zone.</summary>
    [Parameter]
    public string? TimeZone { get; set; }

    /// <summary>Unfinished (manifest-less) folders last written longer ago than this are deleted.</summary>
    [Parameter]
    public TimeSpan UnfinishedGracePeriod { get; set; } = TimeSpan.FromDays(1);

    protected override void ProcessRecord()
    {
        var address = Address();
        if (!_done.Add($"{address}\n{Collection}")) return; // Get-Backup | Invoke-RetentionPolicy: once per collection
        var request = new RetentionRequest(Collection)
        {
            Repository = address,
            Policy = Policy(),
            TimeZone = TimeZone,
            UnfinishedGracePeriod = UnfinishedGracePeriod,
        };

        List<RetentionDecision>? plan = null;
        RunEngine(Collection, async (engine, _, ct) => plan = await engine.PlanRetentionAsync(request, ct));
        if (plan == null) return;

        var approved = new HashSet<string>(StringComparer.Ordinal);
        foreach (var decision in plan.Where(d => d.Action == RetentionAction.Delete))
        {
            // A stretch of archived log is approved by its range, a backup by its id.
            if (decision.LogRange != null)
            {
                if (ShouldProcess($"{decision.Collection}: archived log {decision.LogRange} ({decision.LogFileCount} files; {decision.Reasons})", "Remove archived log files"))
                    approved.Add(decision.LogRange);
            }
            else if (ShouldProcess($"{decision.Collection}/{decision.BackupId} ({decision.Reasons})", decision.Unfinished ? "Delete unfinished backup" : "Delete backup"))
                approved.Add(decision.BackupId);
        }
        if (approved.Count == 0)
        {
            foreach (var decision in plan) WriteObject(decision);
            return;
        }
        RunEngine(Collection, async (engine, bridge, ct) =>
        {
            await foreach (var decision in engine.ApplyRetentionAsync(request, approved, bridge, ct))
                bridge.Output(decision);
        });
    }

    /// <summary>The policy given on the command line; null when none was, so the stored one applies.</summary>
    private RetentionPolicy? Policy()
    {
        var bound = MyInvocation.BoundParameters;
        if (RetentionPolicy == null && !RuleParameters.Any(bound.ContainsKey)) return null;
        var policy = RetentionPolicy?.Clone() ?? new RetentionPolicy();
        if (bound.ContainsKey(nameof(KeepLast))) policy.KeepLast = KeepLast;
        if (bound.ContainsKey(nameof(KeepHourly))) policy.KeepHourly = KeepHourly;
        if (bound.ContainsKey(nameof(KeepDaily))) policy.KeepDaily = KeepDaily;
        if (bound.ContainsKey(nameof(KeepWeekly))) policy.KeepWeekly = KeepWeekly;
        if (bound.ContainsKey(nameof(KeepMonthly))) policy.KeepMonthly = KeepMonthly;
        if (bound.ContainsKey(nameof(KeepYearly))) policy.KeepYearly = KeepYearly;
        if (bound.ContainsKey(nameof(KeepWithin))) policy.KeepWithin = KeepWithin;
        if (bound.ContainsKey(nameof(KeepLogWithin))) policy.KeepLogWithin = KeepLogWithin;
        if (KeepTag != null) policy.KeepTags = KeepTag;
        return policy;
    }
}
