namespace PsBackup.Engine.Operations;

/// <summary>Test-DrEnvironment: which collections, where their copies are, and the objectives to hold them to.</summary>
public sealed record DrEnvironmentRequest
{
    public RepositoryAddress? Repository { get; init; }

    /// <summary>The disaster-recovery copy (Copy-Backup's destination); null: no DR copy is checked.</summary>
    public RepositoryAddress? DrRepository { get; init; }

    /// <summary>Collection names or wildcard patterns; empty: every collection of the repository.</summary>
    public IReadOnlyList<string> Collections { get; init; } = [];

    public TimeSpan MaxBackupAge { get; init; } = TimeSpan.FromDays(1);
    public TimeSpan MaxDrillAge { get; init; } = TimeSpan.FromDays(7);

    /// <summary>The recovery point objective: the archived log's lag and a replica's replay lag must stay within it; null: reported, not judged.</summary>
    public TimeSpan? Rpo { get; init; }

    /// <summary>The recovery time objective: the last drill's measured restore time must stay within it; null: not checked.</summary>
    public TimeSpan? Rto { get; init; }

    public Providers.TargetCredentials Credentials { get; init; } = Providers.TargetCredentials.None;

    /// <summary>For encrypted collections whose archived log must be read (timeline histories).</summary>
    public string? Passphrase { get; init; }
}

/// <summary>Start-Failover: the collection and target to fail over, the standby to promote and what may be lost.</summary>
public sealed record FailoverRequest(string Collection)
{
    public RepositoryAddress? Repository { get; init; }

    /// <summary>The target to fail over; null: the collection's one target that names replicas.</summary>
    public string? Target { get; init; }

    /// <summary>host:port of the replica to promote; null: the reachable, linked replica with the least lag.</summary>
    public string? Standby { get; init; }

    /// <summary>The most data (bytes of the server's log) the promotion may lose; more, or an unknown amount, is refused unless <see cref="Force"/>.</summary>
    public long MaxDataLossBytes { get; init; }

    public bool Force { get; init; }

    /// <summary>Runs before the promotion (stop writers, fence the old primary); a throw stops the failover. The cmdlet runs it on the pipeline thread.</summary>
    public Func<FailoverHookContext, CancellationToken, Task>? BeforePromote { get; init; }

    /// <summary>Runs after the promoted server took a write and the collection points at it (switch DNS, scale services).</summary>
    public Func<FailoverHookContext, CancellationToken, Task>? AfterPromote { get; init; }

    /// <summary>False: the collection is repointed but no new full backup is started (not recommended: point-in-time recovery waits for one).</summary>
    public bool Backup { get; init; } = true;

    public Providers.TargetCredentials Credentials { get; init; } = Providers.TargetCredentials.None;
    public string? Passphrase { get; init; }
}

/// <summary>What a hook is told: the collection, the target, the server being left and the one being promoted.</summary>
public sealed record FailoverHookContext(string Collection, string Target, string OldPrimary, string NewPrimary, long? EstimatedDataLossBytes);

/// <summary>What Start-Failover would do (its -WhatIf), worked out without changing anything.</summary>
public sealed record FailoverPlan(string Collection, string Target, string Kind, string OldPrimary, bool OldPrimaryReachable, string NewPrimary,
    long? EstimatedDataLossBytes, string Basis, long MaxDataLossBytes, bool WouldRefuse)
{
    public string Describe() =>
        $"promote {NewPrimary} of target '{Target}' ({Kind}) of collection '{Collection}' in place of {OldPrimary}" +
        $"{(OldPrimaryReachable ? "" : " (not answering)")}; estimated data loss {(EstimatedDataLossBytes?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown")} bytes " +
        $"(limit {MaxDataLossBytes}); point the collection at {NewPrimary} and start a full backup";
}
