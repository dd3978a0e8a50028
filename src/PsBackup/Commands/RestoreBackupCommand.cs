using System.Management.Automation;
using PsBackup.Engine.Operations;
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

    protected override void ProcessRecord()
    {
        var recovery = PointInTime != null || TargetLsn != null || EndOfArchive
            ? new Engine.Providers.RecoveryTarget { Time = PointInTime, Lsn = TargetLsn, EndOfArchive = EndOfArchive }
            : null;
        var destinationPath = Destination == null ? null : TryResolvePath(Destination);
        if (!ShouldProcess(Id, Destination == null ? "Restore backup to its original location" : $"Restore backup to '{destinationPath ?? Destination}'")) return;
        var request = new RestoreRequest(Id)
        {
            Repository = Address(),
            Collection = Collection,
            Destination = Destination,
            DestinationPath = destinationPath,
            Credentials = Credentials(Credential, TargetCredential),
            TablePrefix = TablePrefix,
            ThrottleLimit = ThrottleLimit,
            Targets = Target,
            Force = Force,
            Passphrase = PlainText(EncryptionPassphrase),
            Recovery = recovery,
            KeyPrefix = KeyPrefix,
            DatabaseMap = DatabaseNumbers(DatabaseMap),
            FileTree = new Engine.Providers.Files.FileRestoreOptions { NumericOwner = NumericOwner, SkipXattrs = SkipXattrs },
        };
        RunEngine(Id, async (engine, bridge, ct) =>
        {
            await foreach (var outcome in engine.RestoreAsync(request, bridge, ct))
            {
                foreach (var warning in outcome.Warnings) bridge.Warning($"{outcome.Target}: {warning}");
                if (outcome.Error != null) bridge.Error(ErrorMapping.ToRecord(outcome.Error, outcome.Target));
                else bridge.Output(outcome.Result!);
            }
        });
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
