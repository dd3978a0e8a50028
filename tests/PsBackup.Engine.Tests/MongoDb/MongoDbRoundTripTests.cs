using System.IO.Compression;
using MongoDB.Bson;
using MongoDB.Driver;
using Newtonsoft.Json.Linq;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Providers.MongoDb;
using PsBackup.Engine.Tests.Peers;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.MongoDb;

/// <summary>
/// Full backups of MongoDB targets against the test server (congodb) and restores compared
/// document by document, byte for byte, with the source: typed documents, a ~15 MB document,
/// 100,000 small documents, several collections and indexes; into another database, with a
/// collection prefix and through a URI.
/// </summary>
public sealed class MongoDbRoundTripTests : IDisposable
{
    private readonly EngineFixture _fx = new();

    [Fact]
    public async Task EveryCollectionRestoresByteForByteIntoAnotherDatabaseWithAPrefixAndThroughAUri()
    {
        await using var db = MongoTestDatabase.Create("round");
        var typed = Enumerable.Range(0, 20).Select(MongoDocuments.Typed).ToList();
        await db.InsertAsync("typed", typed);
        await db.InsertAsync("altered", Enumerable.Range(0, 5).Select(MongoDocuments.Altered));
        await db.InsertAsync("large", [MongoDocuments.Large(15)]);
        await db.InsertAsync("many", Enumerable.Range(0, 100_000).Select(MongoDocuments.Small));
        var many = db.Collection("many");
        await many.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(Builders<BsonDocument>.IndexKeys.Ascending("sku").Descending("n"), new CreateIndexOptions { Name = "sku_n", Unique = true }));
        await many.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(Builders<BsonDocument>.IndexKeys.Ascending("tags"), new CreateIndexOptions { Sparse = true }));
        await many.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(Builders<BsonDocument>.IndexKeys.Ascending("at"), new CreateIndexOptions { ExpireAfter = TimeSpan.FromDays(30) }));

        // congodb keeps these types exactly: what it returns is what was inserted, so "same as the source" means "same as inserted".
        var stored = await db.RawDocumentsAsync("typed");
        foreach (var document in typed)
            Assert.Equal(document.ToBson(), stored[new BsonDocument("_id", document["_id"]).ToJson(new MongoDB.Bson.IO.JsonWriterSettings { OutputMode = MongoDB.Bson.IO.JsonOutputMode.CanonicalExtendedJson })]);

        await _fx.NewCollectionAsync("mongo", targets: db.Target());
        var result = await _fx.Engine.InvokeBackupAsync(new BackupRequest("mongo") { Repository = _fx.Repository, ThrottleLimit = 3 });
        Assert.Empty(result.Failures);
        var backup = result.Backup;
        var record = Assert.Single(await ManifestTargetsAsync(backup));
        var state = record["state"]!;
        Assert.Equal(["altered", "large", "many", "typed"], state["collections"]!.Select(c => (string)c["name"]!));
        Assert.Equal(100_000 + 20 + 5 + 1, (long)state["documents"]!);

        // The .bson artifact is the documents' bytes as the server sent them, one after another (what mongodump writes).
        var folder = Path.Combine(_fx.Repository, "collections", "mongo", "backups", backup.Id, "mongo");
        var bson = Decompress(Path.Combine(folder, "typed.bson.br"));
        Assert.Equal(stored.Values.SelectMany(b => b).ToArray(), bson);
        var metadata = BsonDocument.Parse(System.Text.Encoding.UTF8.GetString(Decompress(Path.Combine(folder, "many.metadata.json.br"))));
        Assert.Equal("many", metadata["collectionName"].AsString);
        Assert.Equal("collection", metadata["type"].AsString);
        Assert.Equal(100_000, metadata["count"].ToInt64());
        var unique = metadata["indexes"].AsBsonArray.Select(i => i.AsBsonDocument).Single(i => i["name"] == "sku_n");
        Assert.Equal(new BsonDocument { { "sku", 1 }, { "n", -1 } }, unique["key"].AsBsonDocument);
        Assert.True(unique["unique"].AsBoolean);

        // Into another database.
        var other = db.Other("copy");
        Assert.Null(Assert.Single(await _fx.RestoreAsync(backup.Id, other)).Error);
        foreach (var name in new[] { "typed", "altered", "large", "many" })
            await db.AssertSameDocumentsAsync(name, name, other);
        await AssertSameIndexesAsync(db, "many", db.Client.GetDatabase(other).GetCollection<BsonDocument>("many"));

        // Beside the originals, with a prefix.
        var prefixed = await RestoreAsync(backup.Id, destination: null, prefix: "drill_");
        Assert.Null(prefixed.Error);
        Assert.Contains("prefixed 'drill_'", prefixed.Result!.Destination);
        Assert.Equal(100_026, prefixed.Result.ItemCount);
        foreach (var name in new[] { "typed", "altered", "large", "many" })
            await db.AssertSameDocumentsAsync(name, "drill_" + name);
        await AssertSameIndexesAsync(db, "many", db.Collection("drill_many"));

        // Through a URI naming another database.
        var third = db.Other("uri");
        var uri = new MongoUrlBuilder(TestPeers.MongoUri) { DatabaseName = third }.ToString();
        Assert.Null(Assert.Single(await _fx.RestoreAsync(backup.Id, uri)).Error);
        await db.AssertSameDocumentsAsync("typed", "typed", third);
        await db.AssertSameDocumentsAsync("large", "large", third);
    }

    [Fact]
    public async Task AStandaloneServerIsRecordedAndReportedAsNotOnePointInTime()
    {
        await using var db = MongoTestDatabase.Create("consist");
        await db.InsertAsync("a", Enumerable.Range(0, 10).Select(MongoDocuments.Small));
        await db.InsertAsync("b", Enumerable.Range(0, 10).Select(MongoDocuments.Small));
        await _fx.NewCollectionAsync("mongo", targets: db.Target());
        var before = DateTimeOffset.UtcNow;
        var result = await _fx.Engine.InvokeBackupAsync(new BackupRequest("mongo") { Repository = _fx.Repository });

        // congodb is a standalone server (no replica set, no snapshot reads): never claim a point in time.
        Assert.Contains(result.Warnings, w => w.Contains("standalone server") && w.Contains("not") && w.Contains("point in time"));
        var state = Assert.Single(await ManifestTargetsAsync(result.Backup))["state"]!;
        Assert.Equal("standalone", (string)state["topology"]!);
        Assert.Equal("perCollection", (string)state["consistency"]!);
        Assert.Null(state["clusterTime"]);
        foreach (var collection in state["collections"]!)
        {
            Assert.True((DateTimeOffset)collection["readStarted"]! >= before.AddSeconds(-1));
            Assert.True((DateTimeOffset)collection["readEnded"]! >= (DateTimeOffset)collection["readStarted"]!);
        }
    }

    [Fact]
    public async Task WildcardsSelectCollectionsAndSystemCollectionsAreNeverBackedUp()
    {
        await using var db = MongoTestDatabase.Create("select");
        foreach (var name in new[] { "orders", "orders_2025", "users", "sessions", "system.js" })
            await db.InsertAsync(name, [MongoDocuments.Small(1)]);
        await _fx.NewCollectionAsync("picked", targets: db.Target("mongo", "orders*", "users", "system*", "none*"));
        var result = await _fx.Engine.InvokeBackupAsync(new BackupRequest("picked") { Repository = _fx.Repository });
        Assert.Contains(result.Warnings, w => w.Contains("'none*'"));
        Assert.Contains(result.Warnings, w => w.Contains("'system*'")); // system.js is never a candidate
        var state = Assert.Single(await ManifestTargetsAsync(result.Backup))["state"]!;
        Assert.Equal(["orders", "orders_2025", "users"], state["collections"]!.Select(c => (string)c["name"]!));

        await _fx.NewCollectionAsync("all", targets: db.Target());
        var all = Assert.Single(await ManifestTargetsAsync(await _fx.BackupAsync("all")))["state"]!;
        Assert.DoesNotContain("system.js", all["collections"]!.Select(c => (string)c["name"]!));
    }

    [Fact]
    public async Task IncrementalTakesACompleteCopyWithAWarning()
    {
        await using var db = MongoTestDatabase.Create("incr");
        await db.InsertAsync("a", Enumerable.Range(0, 50).Select(MongoDocuments.Small));
        await _fx.NewCollectionAsync("mongo", incremental: true, targets: db.Target());
        await _fx.BackupAsync("mongo");
        await db.InsertAsync("a", Enumerable.Range(50, 10).Select(MongoDocuments.Small));
        var result = await _fx.Engine.InvokeBackupAsync(new BackupRequest("mongo") { Repository = _fx.Repository, Type = BackupType.Incremental });
        Assert.Contains(result.Warnings, w => w.Contains("no incremental") && w.Contains("complete copy"));
        Assert.Equal(60, (long)Assert.Single(await ManifestTargetsAsync(result.Backup))["state"]!["documents"]!);
        var other = db.Other("incr");
        Assert.Null(Assert.Single(await _fx.RestoreAsync(result.Backup.Id, other)).Error);
        await db.AssertSameDocumentsAsync("a", "a", other);
    }

    [Fact]
    public void ArtifactNamesAreTheCollectionsNamesWhenPortableElseNumbered()
    {
        Assert.Equal(["orders", "Orders.v2", "~0003", "~0004", "~0005"],
            MongoDbDump.ArtifactNames(["orders", "Orders.v2", "ORDERS", "a/b", "ünï"]));
    }

    private async Task<RestoreOutcome> RestoreAsync(string id, string? destination, string? prefix = null, bool force = false)
    {
        RestoreOutcome? result = null;
        await foreach (var outcome in _fx.Engine.RestoreAsync(new RestoreRequest(id)
                       {
                           Repository = _fx.Repository, Destination = destination, Force = force,
                           Options = [new MongoDbRestoreOptions { CollectionPrefix = prefix }],
                       }))
            result = outcome;
        return result!;
    }

    private async Task<JArray> ManifestTargetsAsync(BackupInfo backup)
    {
        var manifest = Path.Combine(_fx.Repository, "collections", backup.Collection, "backups", backup.Id, "manifest.json");
        return (JArray)JObject.Parse(await File.ReadAllTextAsync(manifest))["targets"]!;
    }

    private static byte[] Decompress(string file)
    {
        using var brotli = new BrotliStream(File.OpenRead(file), CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        brotli.CopyTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>Index names, keys and options as listIndexes reports them (the server's view of what was recreated).</summary>
    private static async Task AssertSameIndexesAsync(MongoTestDatabase db, string collection, IMongoCollection<BsonDocument> restored)
    {
        static async Task<List<string>> Indexes(IMongoCollection<BsonDocument> c) =>
            (await (await c.Indexes.ListAsync()).ToListAsync()).Select(i => i.ToJson()).Order(StringComparer.Ordinal).ToList();
        var expected = await Indexes(db.Collection(collection));
        Assert.Equal(4, expected.Count);
        Assert.Equal(expected, await Indexes(restored));
    }

    public void Dispose() => _fx.Dispose();
}
