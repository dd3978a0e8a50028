using MongoDB.Bson;
using MongoDB.Driver;
using PsBackup.Engine.Providers.Capabilities;

namespace PsBackup.Engine.Providers.MongoDb;

/// <summary>
/// The members of a target's replica set as replSetGetStatus reports them: role, health, whether
/// a secondary has a sync source, and its lag behind the primary (by optime; MongoDB measures lag
/// in time, not bytes). A standalone server is one member with role "standalone".
/// </summary>
internal static class MongoDbReplication
{
    public static async Task<IReadOnlyList<ReplicaState>> ReadAsync(MongoClient client, CancellationToken ct)
    {
        var server = await MongoDbServer.DescribeAsync(client, ct).ConfigureAwait(false);
        var me = server.Hello.GetValue("me", BsonNull.Value) is BsonString address ? address.Value : Endpoints(client);
        switch (server.Topology)
        {
            case MongoDbServerInfo.Standalone:
                return [new ReplicaState(me, true, "standalone", false, null, null, "A standalone server: nothing replicates it.")];
            case MongoDbServerInfo.Sharded:
                return [new ReplicaState(me, true, "mongos", false, null, null, "A sharded cluster's router: each shard is a replica set of its own.")];
        }
        try
        {
            var status = await client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("replSetGetStatus", 1), client.Settings.ReadPreference, ct).ConfigureAwait(false);
            return FromStatus(status);
        }
        catch (MongoCommandException e) when (e.Code == 13)
        {
            var role = server.Hello.GetValue("isWritablePrimary", false).ToBoolean() ? "primary" : server.Hello.GetValue("secondary", false).ToBoolean() ? "secondary" : "other";
            return [new ReplicaState(me, true, role, role != "other", null, null, "replSetGetStatus was refused (the user needs the clusterMonitor role): the other members and the lag are unknown.")];
        }
    }

    /// <summary>The members of a replSetGetStatus reply. Lag is the primary's optime minus the member's (zero for the primary, none for arbiters).</summary>
    internal static IReadOnlyList<ReplicaState> FromStatus(BsonDocument status)
    {
        var members = status.GetValue("members", new BsonArray()).AsBsonArray.Select(m => m.AsBsonDocument).ToList();
        var primary = members.Find(m => m.GetValue("stateStr", "").AsString == "PRIMARY");
        var primaryOptime = primary == null ? (DateTime?)null : OptimeDate(primary);
        return members.Select(member =>
        {
            var role = member.GetValue("stateStr", "UNKNOWN").AsString.ToLowerInvariant();
            var healthy = member.GetValue("health", 0).ToDouble() >= 1;
            var isPrimary = role == "primary";
            var syncSource = member.GetValue("syncSourceHost", "").AsString;
            TimeSpan? lag = role is "primary" or "secondary" && primaryOptime != null && OptimeDate(member) is { } optime
                ? TimeSpan.FromTicks(Math.Max(0, (primaryOptime.Value - optime).Ticks))
                : null;
            var message = member.GetValue("lastHeartbeatMessage", "").AsString is { Length: > 0 } heartbeat ? heartbeat
                : member.GetValue("infoMessage", "").AsString is { Length: > 0 } info ? info
                : primary == null ? "The set has no primary." : "";
            return new ReplicaState(member.GetValue("name", "").AsString, healthy, role, isPrimary || syncSource.Length > 0, null, lag, message);
        }).ToList();
    }

    private static DateTime? OptimeDate(BsonDocument member) =>
        member.GetValue("optimeDate", BsonNull.Value) is BsonDateTime date ? date.ToUniversalTime() : null;

    private static string Endpoints(MongoClient client) => string.Join(",", client.Settings.Servers.Select(s => $"{s.Host}:{s.Port}"));
}
