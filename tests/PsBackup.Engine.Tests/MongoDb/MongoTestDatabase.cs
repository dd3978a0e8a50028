using MongoDB.Bson;
using MongoDB.Driver;
using PsBackup.Engine.Tests.Peers;

namespace PsBackup.Engine.Tests.MongoDb;

/// <summary>
/// A database of its own on the test peer (congodb, MongoDB's wire protocol in memory), dropped
/// when disposed, so tests never see each other's collections. Reads go through the official
/// driver as raw BSON, so comparisons are of the exact bytes the server sends.
/// </summary>
public sealed class MongoTestDatabase : IAsyncDisposable
{
    private readonly List<string> _others = [];

    private MongoTestDatabase(string name)
    {
        Name = name;
        Client = new MongoClient(TestPeers.MongoUri);
        Database = Client.GetDatabase(name);
    }

    public string Name { get; }
    public MongoClient Client { get; }
    public IMongoDatabase Database { get; }

    public static MongoTestDatabase Create(string purpose)
    {
        var (host, port) = TestPeers.MongoEndpoint;
        TestPeers.RequireReachable("MongoDB (congodb)", host, port);
        return new MongoTestDatabase($"psb_{purpose}_{Guid.NewGuid():N}"[..Math.Min(40, 14 + purpose.Length)]);
    }

    /// <summary>Another database name dropped with this one (restore destinations).</summary>
    public string Other(string purpose)
    {
        var name = $"{Name}_{purpose}";
        _others.Add(name);
        return name;
    }

    public MongoDbTarget Target(string name = "mongo", params string[] collections) => new()
    {
        Name = name, ConnectionString = TestPeers.MongoUri, Database = Name, Collections = collections,
    };

    public IMongoCollection<BsonDocument> Collection(string name, string? database = null) =>
        Client.GetDatabase(database ?? Name).GetCollection<BsonDocument>(name);

    /// <summary>Inserts documents in batches of 1,000 (in parallel with nothing: congodb is single-threaded).</summary>
    public async Task InsertAsync(string collection, IEnumerable<BsonDocument> documents)
    {
        var target = Collection(collection);
        foreach (var batch in documents.Chunk(1000))
            await target.InsertManyAsync(batch);
    }

    /// <summary>Every document of a collection as the server sends it (raw BSON), keyed by its _id (canonical Extended JSON).</summary>
    public async Task<Dictionary<string, byte[]>> RawDocumentsAsync(string collection, string? database = null)
    {
        var result = new Dictionary<string, byte[]>();
        var raw = Client.GetDatabase(database ?? Name).GetCollection<RawBsonDocument>(collection);
        using var cursor = await raw.FindAsync(FilterDefinition<RawBsonDocument>.Empty, new FindOptions<RawBsonDocument> { BatchSize = 1000 });
        while (await cursor.MoveNextAsync())
            foreach (var document in cursor.Current)
                using (document)
                    result.Add(IdOf(document), Bytes(document));
        return result;
    }

    public static byte[] Bytes(RawBsonDocument document)
    {
        var bytes = new byte[document.Slice.Length];
        document.Slice.GetBytes(0, bytes, 0, bytes.Length);
        return bytes;
    }

    public static string IdOf(RawBsonDocument document) =>
        new BsonDocument("_id", document["_id"]).ToJson(new MongoDB.Bson.IO.JsonWriterSettings { OutputMode = MongoDB.Bson.IO.JsonOutputMode.CanonicalExtendedJson });

    /// <summary>Asserts two collections hold the same documents, byte for byte, matched by _id.</summary>
    public async Task AssertSameDocumentsAsync(string collection, string restoredCollection, string? restoredDatabase = null)
    {
        var expected = await RawDocumentsAsync(collection);
        var actual = await RawDocumentsAsync(restoredCollection, restoredDatabase);
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (id, bytes) in expected)
        {
            Assert.True(actual.TryGetValue(id, out var restored), $"{restoredCollection}: document {id} is missing");
            Assert.True(bytes.AsSpan().SequenceEqual(restored), $"{restoredCollection}: document {id} differs from the original");
        }
    }

    public async Task<List<string>> CollectionNamesAsync(string? database = null) =>
        await (await Client.GetDatabase(database ?? Name).ListCollectionNamesAsync()).ToListAsync();

    public async ValueTask DisposeAsync()
    {
        foreach (var name in _others.Append(Name))
            await Client.DropDatabaseAsync(name);
        Client.Dispose();
    }
}
