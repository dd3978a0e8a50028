namespace PsBackup.Engine.Retention;

/// <summary>One committed backup as the retention planner sees it.</summary>
public sealed record RetentionCandidate(string Id, BackupType Type, DateTimeOffset StartTime, string? Parent)
{
    /// <summary>False for a partial backup (a target failed): it never counts as the newest successful full.</summary>
    public bool Complete { get; init; } = true;

    public bool Pinned { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>
    /// Backups this one needs besides its parent, as a provider declares them
    /// (<see cref="Providers.Capabilities.IRetentionDependencies"/>); a kept backup keeps them like its parent.
    /// </summary>
    public IReadOnlyList<string> Requires { get; init; } = [];
}

/// <summary>The planner's verdict on one backup: keep or delete, and every reason it is kept.</summary>
public sealed record RetentionVerdict(RetentionCandidate Backup, bool Keep, IReadOnlyList<string> Reasons);
