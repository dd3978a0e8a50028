using System.Globalization;
using System.Net;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers.Capabilities;

namespace PsBackup.Engine.Providers.Redis;

/// <summary>
/// The servers a Redis target names, their roles read with ROLE (never assumed from the order of
/// the endpoint list), replica link and offset lag, promotion with REPLICAOF NO ONE.
/// </summary>
internal static class RedisReplication
{
    private static readonly TimeSpan PromoteWait = TimeSpan.FromSeconds(30);
    private const string VerifyKeyPrefix = "psbackup:failover-check:";

    private sealed record Role(ReplicaRole Kind, long Offset, string Master, bool LinkUp);

    public static IReadOnlyList<ReplicaState> Read(RedisTarget target, NetworkCredential? credential, CancellationToken ct)
    {
        var roles = new List<(string Endpoint, Role? Role, PsBackupException? Error)>();
        foreach (var text in target.Endpoints)
        {
            var endpoint = RedisEndpoint.Parse(text, out _).ToString();
            try { roles.Add((endpoint, ReadRole(target, text, credential, ct), null)); }
            catch (TargetUnavailableException e) { roles.Add((endpoint, null, e)); }
        }
        var states = new List<ReplicaState>();
        foreach (var (endpoint, role, error) in roles)
        {
            if (role == null)
            {
                states.Add(new ReplicaState(endpoint, ReplicaRole.Unknown, false, false, null, null, "", error!.Message) { ErrorId = error.ErrorId });
                continue;
            }
            var position = role.Offset.ToString(CultureInfo.InvariantCulture);
            if (role.Kind == ReplicaRole.Primary)
            {
                states.Add(new ReplicaState(endpoint, ReplicaRole.Primary, true, true, 0, TimeSpan.Zero, position, $"primary at offset {role.Offset}"));
                continue;
            }
            var masterOffset = roles.FirstOrDefault(r => r.Endpoint == role.Master && r.Role?.Kind == ReplicaRole.Primary).Role?.Offset
                               ?? TryMasterOffset(target, role.Master, credential, ct);
            long? lag = masterOffset == null ? null : Math.Max(0, masterOffset.Value - role.Offset);
            var message = role.LinkUp
                ? $"replica of {role.Master}, link up, offset {role.Offset}" + (lag == null ? " (its primary does not answer)" : $", {lag} bytes behind")
                : $"replica of {role.Master}, link DOWN, offset {role.Offset}: check that the primary runs and that masterauth is right";
            states.Add(new ReplicaState(endpoint, ReplicaRole.Replica, true, role.LinkUp, lag, lag == 0 ? TimeSpan.Zero : null, position, message));
        }
        return states;
    }

    /// <summary>The replica's offset against its primary's; unknown when the primary is gone (Redis keeps no archive of its writes).</summary>
    public static DataLossEstimate Estimate(IReadOnlyList<ReplicaState> servers, ReplicaState standby)
    {
        var primary = servers.FirstOrDefault(s => s.Role == ReplicaRole.Primary && s.Reachable);
        if (standby.LagBytes is { } lag && primary != null)
            return new DataLossEstimate(lag, $"primary {primary.Endpoint} at offset {primary.Position}, replica {standby.Endpoint} at offset {standby.Position}");
        return new DataLossEstimate(null, $"the primary does not answer: what it wrote after replica {standby.Endpoint}'s offset {standby.Position} is unknown (Redis keeps no log archive)");
    }

    public static void Promote(RedisTarget target, string endpoint, NetworkCredential? credential, CancellationToken ct)
    {
        using var connection = Open(target, endpoint, credential, ct);
        try
        {
            if (RoleOf(connection).Kind != ReplicaRole.Replica)
                throw new FailoverFailedException($"Redis {endpoint} is not a replica: nothing to promote.");
            connection.Call("REPLICAOF", "NO", "ONE");
            var deadline = DateTime.UtcNow + PromoteWait;
            while (RoleOf(connection).Kind != ReplicaRole.Primary)
            {
                if (DateTime.UtcNow > deadline)
                    throw new FailoverFailedException($"Redis {endpoint} still reports a replica role {PromoteWait.TotalSeconds:0} s after REPLICAOF NO ONE.");
                Thread.Sleep(50);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException and not PsBackupException)
        {
            throw RedisConnections.Translate(e, connection.Endpoint);
        }
    }

    /// <summary>SET of a key of its own with a short expiry, then DEL: a replica answers READONLY.</summary>
    public static void VerifyWritable(RedisTarget target, string endpoint, NetworkCredential? credential, CancellationToken ct)
    {
        using var connection = Open(target, endpoint, credential, ct);
        var key = VerifyKeyPrefix + Guid.NewGuid().ToString("N");
        try
        {
            connection.Call("SET", key, "1", "PX", "60000");
            connection.Call("DEL", key);
        }
        catch (RedisServerException e)
        {
            throw new FailoverFailedException($"Redis {endpoint} refused a write after its promotion: {e.ServerMessage}", e);
        }
    }

    public static RedisTarget PointAt(RedisTarget target, string oldPrimary, string newPrimary)
    {
        var rest = target.Endpoints.Where(e => !Same(e, newPrimary) && !Same(e, oldPrimary));
        var copy = Copy(target);
        copy.Endpoints = [target.Endpoints.FirstOrDefault(e => Same(e, newPrimary)) ?? newPrimary, .. rest];
        return copy;
    }

    /// <summary>The first endpoint stays; the others become <paramref name="standbys"/>.</summary>
    public static RedisTarget WithStandbys(RedisTarget target, IReadOnlyList<string> standbys)
    {
        foreach (var standby in standbys) RedisEndpoint.Parse(standby, out _);
        var copy = Copy(target);
        copy.Endpoints = [target.Endpoints[0], .. standbys.Where(s => !Same(s, target.Endpoints[0])).Distinct(StringComparer.OrdinalIgnoreCase)];
        return copy;
    }

    private static RedisTarget Copy(RedisTarget target) => new()
    {
        Name = target.Name, Endpoints = target.Endpoints, UserName = target.UserName, UseTls = target.UseTls,
        Mode = target.Mode, Databases = target.Databases, KeyPatterns = target.KeyPatterns,
    };

    private static bool Same(string a, string b) => RedisEndpoint.Parse(a, out _).ToString().Equals(RedisEndpoint.Parse(b, out _).ToString(), StringComparison.OrdinalIgnoreCase);

    private static RespConnection Open(RedisTarget target, string endpoint, NetworkCredential? credential, CancellationToken ct)
    {
        var parsed = RedisEndpoint.Parse(endpoint, out var tls);
        return RedisConnections.Open(parsed, target.UseTls || tls, target.UserName, credential, ct);
    }

    private static Role ReadRole(RedisTarget target, string endpoint, NetworkCredential? credential, CancellationToken ct)
    {
        using var connection = Open(target, endpoint, credential, ct);
        try { return RoleOf(connection); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw RedisConnections.Translate(e, connection.Endpoint);
        }
    }

    private static long? TryMasterOffset(RedisTarget target, string master, NetworkCredential? credential, CancellationToken ct)
    {
        try
        {
            using var connection = Open(target, master, credential, ct);
            var role = RoleOf(connection);
            return role.Kind == ReplicaRole.Primary ? role.Offset : null;
        }
        catch (PsBackupException) { return null; }
    }

    /// <summary>ROLE: ["master", offset, [[ip, port, offset] …]] or ["slave", ip, port, state, offset].</summary>
    private static Role RoleOf(RespConnection connection)
    {
        var items = connection.Call("ROLE").Items ?? [];
        return items.Length > 0 ? items[0].AsString() switch
        {
            "master" => new Role(ReplicaRole.Primary, items[1].AsInt64(), "", true),
            "slave" => new Role(ReplicaRole.Replica, items[4].AsInt64(),
                new RedisEndpoint(items[1].AsString()!, (int)items[2].AsInt64()).ToString(), items[3].AsString() == "connected"),
            _ => new Role(ReplicaRole.Unknown, 0, "", false),
        } : new Role(ReplicaRole.Unknown, 0, "", false);
    }
}
