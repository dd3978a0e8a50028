namespace PsBackup.Engine.Operations;

/// <summary>Invoke-RestoreDrill: which backups to prove, where to restore them, and the objectives to hold them to.</summary>
public sealed record RestoreDrillRequest(string Collection)
{
    public RepositoryAddress? Repository { get; init; }

    /// <summary>One backup to drill; null: for each target, the newest backup holding a complete copy of it.</summary>
    public string? Id { get; init; }

    /// <summary>Drill only these targets; null or empty for all.</summary>
    public IReadOnlyList<string>? Targets { get; init; }

    public string? Passphrase { get; init; }

    /// <summary>Logins for the targets' servers (where scratch databases are created); never stored.</summary>
    public Providers.TargetCredentials Credentials { get; init; } = Providers.TargetCredentials.None;

    /// <summary>A server for scratch databases instead of the target's own (kinds that restore into a server).</summary>
    public string? DrillServer { get; init; }

    /// <summary>Point-in-time kinds: recover to this moment instead of the end of the archived log.</summary>
    public DateTimeOffset? PointInTime { get; init; }

    /// <summary>A query that must succeed (and, if it returns a value, be true or non-zero) on the restored data, for kinds that take queries.</summary>
    public string? VerifyQuery { get; init; }

    /// <summary>Objectives: a drill whose measured recovery time or data loss exceeds them fails.</summary>
    public TimeSpan? MaxRto { get; init; }
    public TimeSpan? MaxRpo { get; init; }

    /// <summary>Leave the restored data in place (servers the drill started are still stopped).</summary>
    public bool KeepRestored { get; init; }

    /// <summary>How many parts of a target (tables …) are restored and checked at once.</summary>
    public int ThrottleLimit { get; init; } = BackupRequest.DefaultThrottleLimit;

    /// <summary>Only these steps of the plan (collection/backup/target keys from <see cref="RestoreDrillPlanStep.Key"/>); null: all.</summary>
    public IReadOnlySet<string>? Approved { get; init; }
}

/// <summary>What a drill would do, worked out without changing anything (-WhatIf): one step per target.</summary>
public sealed record RestoreDrillPlan(string Collection, IReadOnlyList<RestoreDrillPlanStep> Steps);

/// <summary>One target to drill: from which backup, into what scratch place, recovered how far.</summary>
public sealed record RestoreDrillPlanStep(string BackupId, string Target, string Kind, string Scratch, string? Recovery)
{
    public string Key => $"{BackupId}/{Target}";
}

/// <summary>Get-RestoreDrill: the recorded drills of the matching collections, oldest first.</summary>
public sealed record RestoreDrillQuery
{
    public RepositoryAddress? Repository { get; init; }

    /// <summary>Collection name or wildcard pattern; null for all.</summary>
    public string? Collection { get; init; }

    /// <summary>Only the drills of this backup.</summary>
    public string? BackupId { get; init; }

    /// <summary>Only the newest drill run of each collection (with -BackupId: of that backup).</summary>
    public bool Latest { get; init; }

    /// <summary>Only drills that started at or after this moment.</summary>
    public DateTimeOffset? Since { get; init; }
}
