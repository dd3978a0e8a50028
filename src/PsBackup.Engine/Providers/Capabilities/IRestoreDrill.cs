namespace PsBackup.Engine.Providers.Capabilities;

/// <summary>
/// A kind whose backups can be proven in a restore drill (Invoke-RestoreDrill): restored into a
/// scratch place that the kind provides, brought into service where that takes a step of its own
/// (a server started), checked against what the backup recorded, then removed. The operation does
/// the restore itself, through the normal restore path, into <see cref="DrillScratch.Destination"/>
/// with <see cref="DrillScratch.RestoreOptions"/>, and times it.
/// </summary>
public interface IRestoreDrill
{
    /// <summary>
    /// A scratch destination for one drill of <paramref name="target"/> (a temporary folder, a scratch
    /// database, a temporary server). Disposing it removes everything the drill created. Throws a
    /// PsBackupException (DrillPrerequisiteMissing …) when this machine cannot hold one.
    /// </summary>
    Task<DrillScratch> CreateScratchAsync(BackupTarget target, DrillSettings settings, CancellationToken ct);

    /// <summary>Checks what a restore into <paramref name="scratch"/> produced against the backup; one check per thing compared.</summary>
    Task<IReadOnlyList<DrillCheck>> VerifyAsync(TargetRestoreContext restored, DrillScratch scratch, CancellationToken ct);

    /// <summary>Where a drill of <paramref name="target"/> would restore to, for -WhatIf; creates nothing.</summary>
    string DescribeScratch(BackupTarget target, DrillSettings settings) => "a scratch place";
}

/// <summary>What a drill was asked for that a kind's scratch place depends on.</summary>
public sealed record DrillSettings
{
    /// <summary>The drill run's id (names scratch databases and folders, so leftovers can be traced to a run).</summary>
    public string DrillId { get; init; } = "";

    /// <summary>Another server to create scratch databases on (-DrillServer); null: the target's own server or a local temporary one.</summary>
    public string? DrillServer { get; init; }

    /// <summary>The login for the target's or the drill server.</summary>
    public System.Net.NetworkCredential? Credential { get; init; }

    /// <summary>A query the caller wants to succeed on the restored data (-VerifyQuery), for kinds that take queries.</summary>
    public string? VerifyQuery { get; init; }

    /// <summary>
    /// -KeepRestored: disposing the scratch stops what the drill started (a server) but keeps the
    /// restored data, at <see cref="DrillScratch.Location"/>, for a person to look at.
    /// </summary>
    public bool KeepRestored { get; init; }

    /// <summary>How far the restore replays a continuously archived log (point-in-time kinds); null: to the moment of the backup.</summary>
    public RecoveryTarget? Recovery { get; init; }
}

/// <summary>A scratch destination: what Restore-Backup -Destination would be, and how to remove it.</summary>
public abstract class DrillScratch : IAsyncDisposable
{
    /// <summary>The destination to restore into, as the kind reads -Destination.</summary>
    public abstract string Destination { get; }

    /// <summary>The kind's restore options the drill restores with (a prefix …); null: none.</summary>
    public virtual object? RestoreOptions => null;

    /// <summary>Where the restored data is, for people (credentials masked by the operation): what -KeepRestored leaves.</summary>
    public virtual string Location => Destination;

    /// <summary>
    /// Brings the restored data into service when that is a step of its own (starting a server on
    /// it and waiting until it has recovered). Timed as part of the recovery time (RTO).
    /// </summary>
    public virtual Task StartAsync(TargetRestoreContext restored, CancellationToken ct) => Task.CompletedTask;

    /// <summary>
    /// The newest moment the restored data holds, when the kind can read it there (the last replayed
    /// commit); null: the backup's end, or the end of the recovery window of a point-in-time kind.
    /// </summary>
    public DateTimeOffset? RestoredPointInTime { get; set; }

    /// <summary>Where the drill's time went: the operation's steps, and what the kind times inside its checks and clean-up.</summary>
    public DrillStages Stages { get; } = new();

    /// <summary>Removes everything the drill created (keeps the data with <see cref="DrillSettings.KeepRestored"/>), on success, failure and cancellation.</summary>
    public abstract ValueTask DisposeAsync();
}

/// <summary>One comparison of a drill: what the backup recorded and what the restore produced.</summary>
public sealed record DrillCheck(string Name, string Expected, string Observed, bool Passed);
