using System.Net;

namespace PsBackup.Engine.Providers.Capabilities;

/// <summary>
/// A kind whose servers replicate: Test-DrEnvironment reads the replicas' state and lag,
/// Start-Failover promotes one.
/// </summary>
public interface IReplication
{
    /// <summary>Each server the target names, with its role and how far behind the primary it is.</summary>
    Task<IReadOnlyList<ReplicaState>> GetReplicationAsync(BackupTarget target, NetworkCredential? credential, CancellationToken ct);

    /// <summary>Promotes the replica at <paramref name="endpoint"/> and waits until it accepts writes.</summary>
    Task PromoteAsync(BackupTarget target, string endpoint, NetworkCredential? credential, CancellationToken ct);
}

/// <summary>One server of a target as replication sees it.</summary>
public sealed record ReplicaState(string Endpoint, bool Reachable, string Role, bool LinkUp, long? LagBytes, TimeSpan? LagTime, string Message);
