using System.Security.Cryptography;
using MongoDB.Bson;
using MongoDB.Driver;

namespace PsBackup.Cli;

/// <summary>
/// "mongo-data": generated MongoDB data for tests and benchmarks, and a digest to compare a
/// restored database with its source, through the official driver.
///   generate URI --collection NAME --documents N [--size BYTES]   inserts N documents of about BYTES (default 1024)
///   digest URI                                                     per collection: documents, bytes, digest of every document's bytes
///   drop URI                                                       drops the URI's database
/// URI names the database (mongodb://host:port/database).
/// </summary>
internal static class MongoData
{
    public static async Task<int> RunAsync(CliArguments args, CancellationToken ct)
    {
        var action = args.Required(0, "generate|digest|drop");
        var url = new MongoUrl(args.Required(1, "URI"));
        if (string.IsNullOrEmpty(url.DatabaseName)) throw new ArgumentException("The URI must name a database (mongodb://host:port/database).");
        using var client = new MongoClient(url);
        var database = client.GetDatabase(url.DatabaseName);
        switch (action)
        {
            case "generate":
                await GenerateAsync(database.GetCollection<RawBsonDocument>(args.Option("collection") ?? throw new ArgumentException("Missing --collection.")),
                    long.Parse(args.Option("documents") ?? "1000"), int.Parse(args.Option("size") ?? "1024"), ct);
                return 0;
            case "digest":
                foreach (var name in (await (await database.ListCollectionNamesAsync(cancellationToken: ct)).ToListAsync(ct)).Where(n => !n.StartsWith("system.", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
                    CliCommands.Print(await DigestAsync(database.GetCollection<RawBsonDocument>(name), ct));
                return 0;
            case "drop":
                await client.DropDatabaseAsync(url.DatabaseName, ct);
                return 0;
            default:
                throw new ArgumentException($"Unknown mongo-data action '{action}'.");
        }
    }

    /// <summary>Documents of typical fields plus a text filler up to <paramref name="size"/> bytes, inserted 1,000 at a time.</summary>
    private static async Task GenerateAsync(IMongoCollection<RawBsonDocument> collection, long count, int size, CancellationToken ct)
    {
        var random = new Random(7);
        var batch = new List<RawBsonDocument>(1000);
        for (long i = 0; i < count; i++)
        {
            var document = new BsonDocument
            {
                { "_id", ObjectId.GenerateNewId() },
                { "n", (int)(i % int.MaxValue) },
                { "sku", $"SKU-{i % 9973:D5}" },
                { "price", new Decimal128(random.Next(100, 1_000_000) / 100m) },
                { "at", new BsonDateTime(1_700_000_000_000L + i * 1000) },
                { "ratio", random.NextDouble() },
                { "tags", new BsonArray { "alpha", i % 2 == 0 ? "even" : "odd", $"t{i % 17}" } },
                { "address", new BsonDocument { { "city", $"City {i % 503}" }, { "zip", $"{10000 + i % 89999}" } } },
            };
            var filler = size - document.ToBson().Length - 16;
            if (filler > 0) document.Add("notes", RandomText(random, filler));
            batch.Add(new RawBsonDocument(document.ToBson()));
            if (batch.Count == 1000)
            {
                await collection.InsertManyAsync(batch, cancellationToken: ct);
                batch.Clear();
            }
        }
        if (batch.Count > 0) await collection.InsertManyAsync(batch, cancellationToken: ct);
    }

    /// <summary>Words from a small vocabulary: compresses like real text (not like random bytes, not like repeated ones).</summary>
    private static string RandomText(Random random, int length)
    {
        string[] words = ["order", "shipped", "customer", "invoice", "the", "of", "warehouse", "returned", "priority", "note", "express", "a", "and", "delayed", "paid"];
        var text = new System.Text.StringBuilder(length + 16);
        while (text.Length < length) text.Append(words[random.Next(words.Length)]).Append(random.Next(3) == 0 ? ". " : " ");
        return text.ToString(0, length);
    }

    /// <summary>Documents, bytes, and the XOR of each document's SHA-256: equal for two collections holding the same documents byte for byte, in any order.</summary>
    private static async Task<object> DigestAsync(IMongoCollection<RawBsonDocument> collection, CancellationToken ct)
    {
        var digest = new byte[32];
        long documents = 0, bytes = 0;
        using var cursor = await collection.FindAsync(FilterDefinition<RawBsonDocument>.Empty, new FindOptions<RawBsonDocument> { BatchSize = 1000 }, ct);
        while (await cursor.MoveNextAsync(ct))
            foreach (var document in cursor.Current)
                using (document)
                {
                    var raw = new byte[document.Slice.Length];
                    document.Slice.GetBytes(0, raw, 0, raw.Length);
                    var hash = SHA256.HashData(raw);
                    for (var i = 0; i < 32; i++) digest[i] ^= hash[i];
                    documents++;
                    bytes += raw.Length;
                }
        return new { Collection = collection.CollectionNamespace.CollectionName, Documents = documents, Bytes = bytes, Digest = Convert.ToHexString(digest).ToLowerInvariant() };
    }
}
