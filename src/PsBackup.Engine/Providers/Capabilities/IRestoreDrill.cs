namespace PsBackup.Engine.Providers.Capabilities;

/// <summary>
/// A kind whose backups can be proven in a restore drill (Invoke-RestoreDrill): restored into a
/// scratch place that the kind provides, checked against what the backup recorded, then removed.
/// </summary>
public interface IRestoreDrill
{
    /// <summary>
    /// A scratch destination for one drill of <paramref name="target"/> (a temporary folder, a scratch
    /// database, a temporary server). Disposing it removes everything the drill created.
    /// </summary>
    Task<DrillScratch> CreateScratchAsync(BackupTarget target, DrillSettings settings, CancellationToken ct);

    /// <summary>Checks what a restore into <paramref name="scratch"/> produced against the backup; one check per thing compared.</summary>
    Task<IReadOnlyList<DrillCheck>> VerifyAsync(TargetRestoreContext restored, DrillScratch scratch, CancellationToken ct);
}

/// <summary>What a drill was asked for that a kind's scratch place depends on.</summary>
public sealed record DrillSettings
{
    /// <summary>Another server to create scratch databases on (-DrillServer); null: the target's own server or a local temporary one.</summary>
    public string? DrillServer { get; init; }

    /// <summary>The login for the target's or the drill server.</summary>
    public System.Net.NetworkCredential? Credential { get; init; }

    /// <summary>A query the caller wants to succeed on the restored data (-VerifyQuery), for kinds that take queries.</summary>
    public string? VerifyQuery { get; init; }
}

/// <summary>A scratch destination: what Restore-Backup -Destination would be, and how to remove it.</summary>
public abstract class DrillScratch : IAsyncDisposable
{
    /// <summary>The destination to restore into, as the kind reads -Destination.</summary>
    public abstract string Destination { get; }

    /// <summary>The kind's restore options the drill restores with (a prefix …); null: none.</summary>
    public virtual object? RestoreOptions => null;

    /// <summary>Removes everything the drill created, on success, failure and cancellation.</summary>
    public abstract ValueTask DisposeAsync();
}

/// <summary>One comparison of a drill: what the backup recorded and what the restore produced.</summary>
public sealed record DrillCheck(string Name, string Expected, string Observed, bool Passed);
