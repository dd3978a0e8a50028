using System.Text;
using MongoDB.Bson;
using MongoDB.Bson.IO;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Providers.MongoDb;

/// <summary>
/// A collection's "&lt;name&gt;.metadata.json" artifact: what mongodump writes beside the documents —
/// collection options (capped, validator, collation …), indexes with their options, uuid, name and
/// type — in canonical Extended JSON, plus PsBackup's "count" of the documents in the .bson artifact.
/// mongorestore reads the same fields.
/// </summary>
internal sealed record MongoDbMetadata(string CollectionName, string Type, BsonDocument Options, IReadOnlyList<BsonDocument> Indexes, string? Uuid, long Count)
{
    private static readonly JsonWriterSettings Canonical = new() { OutputMode = JsonOutputMode.CanonicalExtendedJson, Indent = false };

    /// <summary>From a listCollections entry and the collection's listIndexes.</summary>
    public static MongoDbMetadata From(BsonDocument listCollectionsEntry, IReadOnlyList<BsonDocument> indexes, long count)
    {
        var uuid = listCollectionsEntry.GetValue("info", new BsonDocument()).AsBsonDocument.GetValue("uuid", BsonNull.Value) is BsonBinaryData { Bytes.Length: 16 } binary
            ? Convert.ToHexString(binary.Bytes).ToLowerInvariant()
            : null;
        return new MongoDbMetadata(listCollectionsEntry["name"].AsString, listCollectionsEntry.GetValue("type", "collection").AsString,
            listCollectionsEntry.GetValue("options", new BsonDocument()).AsBsonDocument, indexes, uuid, count);
    }

    public byte[] ToBytes()
    {
        var document = new BsonDocument
        {
            { "options", Options },
            { "indexes", new BsonArray(Indexes) },
            { "uuid", Uuid, Uuid != null },
            { "collectionName", CollectionName },
            { "type", Type },
            { "count", Count },
        };
        return Encoding.UTF8.GetBytes(document.ToJson(Canonical) + "\n");
    }

    public static MongoDbMetadata Parse(byte[] json, string what)
    {
        try
        {
            var document = BsonDocument.Parse(Encoding.UTF8.GetString(json));
            return new MongoDbMetadata(document["collectionName"].AsString, document.GetValue("type", "collection").AsString,
                document.GetValue("options", new BsonDocument()).AsBsonDocument,
                document.GetValue("indexes", new BsonArray()).AsBsonArray.Select(i => i.AsBsonDocument).ToList(),
                document.GetValue("uuid", BsonNull.Value) is BsonString uuid ? uuid.Value : null,
                document.GetValue("count", 0L).ToInt64());
        }
        catch (Exception e) when (e is FormatException or InvalidCastException or KeyNotFoundException or BsonException)
        {
            throw new RepositoryFormatException($"{what} is not a valid collection metadata document: {e.Message}");
        }
    }

    /// <summary>The indexes to create after the documents: all but the _id index, which every collection has (and clustered collections' key).</summary>
    public IEnumerable<BsonDocument> SecondaryIndexes =>
        Indexes.Where(i => i.GetValue("name", "").AsString != "_id_" && !i.GetValue("clustered", false).ToBoolean())
            .Select(i =>
            {
                var copy = i.DeepClone().AsBsonDocument;
                copy.Remove("ns"); // servers before 4.4 listed it; createIndexes refuses it
                return copy;
            });
}
