using System.Net;

namespace PsBackup.Engine.Providers.Capabilities;

/// <summary>
/// A kind whose servers replicate: Get-BackupTargetStatus and Test-DrEnvironment read the
/// replicas' state and lag. Servers are named "host:port" throughout. A kind's roles are read
/// from the servers, never assumed from the order the target lists them in.
/// </summary>
public interface IReplication
{
    /// <summary>
    /// Every server the target names (its primary and its replicas) as replication sees it now. A
    /// server that does not answer is in the list with Reachable false; a refused login throws
    /// TargetAuthenticationException.
    /// </summary>
    Task<IReadOnlyList<ReplicaState>> GetReplicationAsync(BackupTarget target, NetworkCredential? credential, CancellationToken ct);
}

/// <summary>
/// A replicating kind PsBackup can fail over (Start-Failover): it estimates the data a promotion
/// would lose, promotes a replica, checks it takes a write and points the target at it; targets
/// name their standbys (Set-BackupCollection -Standby).
/// </summary>
public interface IFailover : IReplication
{
    /// <summary>
    /// What promoting <paramref name="standby"/> (one of the replicas of <paramref name="servers"/>)
    /// would lose: measured against the primary when it answers, else against what the collection's
    /// archive holds (<paramref name="scope"/>), else unknown. Changes nothing.
    /// </summary>
    Task<DataLossEstimate> EstimateDataLossAsync(CollectionScope scope, BackupTarget target, IReadOnlyList<ReplicaState> servers, ReplicaState standby,
        NetworkCredential? credential, CancellationToken ct);

    /// <summary>Promotes the replica at <paramref name="endpoint"/> and returns once it is no longer a replica.</summary>
    Task PromoteAsync(BackupTarget target, string endpoint, NetworkCredential? credential, CancellationToken ct);

    /// <summary>Makes one write on <paramref name="endpoint"/> that leaves no trace in the data (throws when the server refuses it).</summary>
    Task VerifyWritableAsync(BackupTarget target, string endpoint, NetworkCredential? credential, CancellationToken ct);

    /// <summary>The target with <paramref name="newPrimary"/> as its primary and <paramref name="oldPrimary"/> no longer named (a copy; the original is unchanged).</summary>
    BackupTarget PointAt(BackupTarget target, string oldPrimary, string newPrimary);

    /// <summary>The target naming <paramref name="standbys"/> as its replicas (Set-BackupCollection -Standby); validates them.</summary>
    BackupTarget WithStandbys(BackupTarget target, IReadOnlyList<string> standbys);
}

/// <summary>A server's part in replication.</summary>
public enum ReplicaRole { Unknown, Primary, Replica }

/// <summary>
/// One server of a target as replication sees it. <see cref="LagBytes"/>: how far its received log
/// is behind its primary's current position (null when that cannot be measured: the primary does not answer);
/// <see cref="LagTime"/>: since when it has not replayed what its primary wrote, where the kind can tell.
/// </summary>
public sealed record ReplicaState(string Endpoint, ReplicaRole Role, bool Reachable, bool LinkUp, long? LagBytes, TimeSpan? LagTime, string Position, string Message)
{
    /// <summary>The ErrorId of the failure that made the server unreachable (TargetUnavailable …); empty when it answered.</summary>
    public string ErrorId { get; init; } = "";

    /// <summary>The server's own word for its role where <see cref="Role"/> is coarser (a server that calls itself "standalone" or "arbiter"); else the role in lower case.</summary>
    public string RoleName { get => _roleName ?? Role.ToString().ToLowerInvariant(); init => _roleName = value; }

    private readonly string? _roleName;
}

/// <summary>The data a promotion would lose, in bytes of the server's log (null: unknown), and how that was measured.</summary>
public sealed record DataLossEstimate(long? Bytes, string Basis);
