using System.Management.Automation;
using PsBackup.Engine;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Providers;
using PsBackup.Engine.Providers.Files;
using PsBackup.Engine.Providers.MongoDb;
using PsBackup.Engine.Providers.PostgreSql;
using PsBackup.Engine.Providers.Redis;
using PsBackup.Infrastructure;

namespace PsBackup.Commands;

/// <summary>
/// <para type="synopsis">Restores a backup (walking its incremental chain) to the original location or -Destination.</para>
/// </summary>
[Cmdlet(VerbsData.Restore, "Backup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(RestoreResult))]
public sealed class RestoreBackupCommand : BackupIdCmdlet
{
    /// <summary>
    /// Where to restore: a directory for file trees (with several targets, each goes to a sub-directory
    /// named after it); a database name, URI or connection string for database targets.
    /// </summary>
    [Parameter(Position = 1)]
    public string? Destination { get; set; }

    /// <summary>Restore only these targets.</summary>
    [Parameter]
    public string[]? Target { get; set; }

    /// <summary>Overwrite existing files, tables or keys.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Login for every database target at the destination; used for this call only, never stored.</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>Logins per target: @{ orders = (Get-Credential) }. Overrides -Credential for those targets.</summary>
    [Parameter]
    public System.Collections.Hashtable? TargetCredential { get; set; }

    /// <summary>PostgreSQL: restore each table as prefix + name next to the originals (a restore drill).</summary>
    [Parameter]
    [ValidatePattern("^[A-Za-z_][A-Za-z0-9_$]*$")]
    public string? TablePrefix { get; set; }

    /// <summary>PostgreSQL tables: also restore owners and privileges (the roles must exist at the destination).</summary>
    [Parameter]
    public SwitchParameter IncludePrivileges { get; set; }

    /// <summary>PostgreSQL tables: also restore foreign keys to tables outside the collection, where those tables exist.</summary>
    [Parameter]
    public SwitchParameter IncludeExternalForeignKeys { get; set; }

    /// <summary>How many parts of a target (PostgreSQL tables …) are restored at once.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = BackupRequest.DefaultThrottleLimit;

    /// <summary>PostgreSQL cluster targets: recover to this moment (recovery_target_time), from the newest backup that ended before it.</summary>
    [Parameter]
    public DateTimeOffset? PointInTime { get; set; }

    /// <summary>PostgreSQL cluster targets: recover to this WAL location (recovery_target_lsn), e.g. 0/3000028.</summary>
    [Parameter]
    public string? TargetLsn { get; set; }

    /// <summary>PostgreSQL cluster targets: replay all archived WAL, to the latest recoverable moment.</summary>
    [Parameter]
    public SwitchParameter EndOfArchive { get; set; }
    /// <summary>Redis: prepended to the name of every restored key (restore beside the live keys).</summary>
    [Parameter]
    public string? KeyPrefix { get; set; }

    /// <summary>Redis: source database number to destination database number: @{ 0 = 5; 1 = 6 }.</summary>
    [Parameter]
    public System.Collections.Hashtable? DatabaseMap { get; set; }

    /// <summary>File trees, as root: give files their recorded uid/gid numbers, not the ids of the recorded user and group names here (tar --numeric-owner).</summary>
    [Parameter]
    public SwitchParameter NumericOwner { get; set; }

    /// <summary>File trees: restore no extended attributes (POSIX ACLs, SELinux labels and file capabilities included).</summary>
    [Parameter]
    public SwitchParameter SkipXattrs { get; set; }

    /// <summary>MongoDB: prepended to the name of every restored collection (a drill beside the originals).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CollectionPrefix { get; set; }

    protected override void ProcessRecord()
    {
        // Resolved here, on the pipeline thread (PowerShell's paths are not thread-safe); used only by kinds that read -Destination as a path.
        var destinationPath = Destination == null ? null : TryResolvePath(Destination);
        var request = new RestoreRequest(Id)
        {
            Repository = Address(),
            Collection = Collection,
            Destination = Destination,
            ResolvePath = _ => destinationPath ?? throw new Engine.Errors.InvalidBackupRequestException("InvalidDestination",
                $"-Destination '{Engine.SecretMasker.Hide(Destination!)}' is not a file-system path, which a target of this backup restores to."),
            Credentials = Credentials(Credential, TargetCredential),
            ThrottleLimit = ThrottleLimit,
            Targets = Target,
            Force = Force,
            Passphrase = PlainText(EncryptionPassphrase),
            Recovery = PointInTime != null || TargetLsn != null || EndOfArchive
                ? new RecoveryTarget { Time = PointInTime, Position = TargetLsn, EndOfArchive = EndOfArchive }
                : null,
            Options = KindOptions(),
        };
        // Plan first (which backup, which targets, where each goes), confirm each target, then restore the approved ones.
        RestorePlan? plan = null;
        RunEngine(Id, async (engine, _, ct) => plan = await engine.PlanRestoreAsync(request, ct));
        if (plan == null) return;
        var approved = plan.Steps.Where(step => ShouldProcess($"target '{step.Target}' ({step.Kind}) of backup {plan.BackupId}",
            $"Restore to {step.Destination}{(plan.Recovery == null ? "" : $", recovered to {plan.Recovery}")}")).Select(step => step.Target).ToList();
        if (approved.Count == 0) return;
        RunEngine(Id, async (engine, bridge, ct) =>
        {
            await foreach (var outcome in engine.RestoreAsync(request with { Targets = approved }, bridge, ct))
            {
                foreach (var warning in outcome.Warnings) bridge.Warning(warning);
                if (outcome.Error != null) bridge.Error(ErrorMapping.ToRecord(outcome.Error, outcome.Target));
                else bridge.Output(outcome.Result!);
            }
        });
    }

    /// <summary>The kinds' own restore options, each only when one of its parameters was given.</summary>
    private List<object> KindOptions()
    {
        var options = new List<object>();
        if (TablePrefix != null || IncludePrivileges || IncludeExternalForeignKeys)
            options.Add(new PgTableRestoreOptions { TablePrefix = TablePrefix, IncludePrivileges = IncludePrivileges, IncludeExternalForeignKeys = IncludeExternalForeignKeys });
        if (NumericOwner || SkipXattrs)
            options.Add(new FileRestoreOptions { NumericOwner = NumericOwner, SkipXattrs = SkipXattrs });
        if (KeyPrefix != null || DatabaseMap != null)
            options.Add(new RedisRestoreOptions { KeyPrefix = KeyPrefix, DatabaseMap = DatabaseNumbers(DatabaseMap) });
        if (CollectionPrefix != null)
            options.Add(new MongoDbRestoreOptions { CollectionPrefix = CollectionPrefix });
        return options;
    }

    private static Dictionary<int, int>? DatabaseNumbers(System.Collections.Hashtable? map)
    {
        if (map == null) return null;
        var numbers = new Dictionary<int, int>();
        foreach (System.Collections.DictionaryEntry entry in map)
        {
            if (!int.TryParse(entry.Key?.ToString(), out var from) || !int.TryParse(entry.Value?.ToString(), out var to) || from < 0 || to < 0)
                throw new PSArgumentException($"-DatabaseMap: '{entry.Key}' = '{entry.Value}' is not a pair of database numbers (0 or more), as in @{{ 0 = 5 }}.");
            numbers[from] = to;
        }
        return numbers;
    }
}
