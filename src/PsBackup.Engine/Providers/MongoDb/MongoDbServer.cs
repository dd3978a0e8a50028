using MongoDB.Bson;
using MongoDB.Driver;

namespace PsBackup.Engine.Providers.MongoDb;

/// <summary>What a server says about itself (hello, buildInfo): its shape decides whether a backup can read at one cluster time.</summary>
internal sealed record MongoDbServerInfo(string Topology, string Version, BsonDocument Hello)
{
    public const string Standalone = "standalone";
    public const string ReplicaSet = "replicaSet";
    public const string Sharded = "sharded";

    /// <summary>Snapshot reads (readConcern "snapshot" at one cluster time) need a replica set or a sharded cluster of MongoDB 5.0 or later.</summary>
    public bool SupportsSnapshotReads => Topology != Standalone && MajorVersion >= 5;

    private int MajorVersion => int.TryParse(Version.Split('.')[0], out var major) ? major : 0;
}

/// <summary>
/// The commands that describe a server and a database. They are run with the client's read
/// preference (secondaryPreferred by default), so metadata comes from the member the data comes from.
/// </summary>
internal static class MongoDbServer
{
    public static async Task<MongoDbServerInfo> DescribeAsync(MongoClient client, CancellationToken ct)
    {
        var admin = client.GetDatabase("admin");
        var readPreference = client.Settings.ReadPreference;
        var hello = await admin.RunCommandAsync<BsonDocument>(new BsonDocument("hello", 1), readPreference, ct).ConfigureAwait(false);
        var build = await admin.RunCommandAsync<BsonDocument>(new BsonDocument("buildInfo", 1), readPreference, ct).ConfigureAwait(false);
        var topology = hello.Contains("setName") ? MongoDbServerInfo.ReplicaSet
            : hello.GetValue("msg", "").ToString() == "isdbgrid" ? MongoDbServerInfo.Sharded
            : MongoDbServerInfo.Standalone;
        return new MongoDbServerInfo(topology, build.GetValue("version", "").ToString()!, hello);
    }

    /// <summary>listCollections of <paramref name="database"/>: name, type, options, info (uuid) of each.</summary>
    public static Task<List<BsonDocument>> ListCollectionsAsync(IMongoDatabase database, ReadPreference readPreference, CancellationToken ct) =>
        CursorCommandAsync(database, new BsonDocument { { "listCollections", 1 }, { "cursor", new BsonDocument("batchSize", int.MaxValue) } }, readPreference, ct);

    /// <summary>listIndexes of a collection: each index's key, name and options as the server keeps them.</summary>
    public static Task<List<BsonDocument>> ListIndexesAsync(IMongoDatabase database, string collection, ReadPreference readPreference, CancellationToken ct) =>
        CursorCommandAsync(database, new BsonDocument { { "listIndexes", collection }, { "cursor", new BsonDocument("batchSize", int.MaxValue) } }, readPreference, ct);

    /// <summary>
    /// A command answering with a cursor, read in one batch (a getMore could reach another member
    /// through the read preference). Servers answer listCollections/listIndexes in one batch of up
    /// to 16 MB; more than that is refused rather than read half.
    /// </summary>
    private static async Task<List<BsonDocument>> CursorCommandAsync(IMongoDatabase database, BsonDocument command, ReadPreference readPreference, CancellationToken ct)
    {
        var reply = await database.RunCommandAsync<BsonDocument>(command, readPreference, ct).ConfigureAwait(false);
        var cursor = reply["cursor"].AsBsonDocument;
        if (cursor.GetValue("id", 0L).ToInt64() != 0)
            throw new Errors.PsBackupException("MongoMetadataTooLarge", Errors.ErrorKind.NotImplemented,
                $"'{command.GetElement(0).Name}' of database '{database.DatabaseNamespace.DatabaseName}' answered in more than one batch (over 16 MB of metadata), which PsBackup does not read.");
        return cursor["firstBatch"].AsBsonArray.Select(v => v.AsBsonDocument).ToList();
    }
}
