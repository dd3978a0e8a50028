using MongoDB.Bson;

namespace PsBackup.Engine.Tests.MongoDb;

/// <summary>
/// Test documents. congodb (the test server) decodes every document into JavaScript values and
/// encodes it again, so it stores some BSON types differently from MongoDB (measured, see
/// <see cref="Altered"/>); <see cref="Typed"/> uses only values it keeps byte for byte, so a round
/// trip of them proves PsBackup restores exactly what was inserted.
/// </summary>
public static class MongoDocuments
{
    /// <summary>Every BSON type congodb keeps exactly, with variations per <paramref name="i"/>.</summary>
    public static BsonDocument Typed(int i) => new()
    {
        { "_id", ObjectId.GenerateNewId() },
        { "int32", i - 5 },
        { "int32max", int.MaxValue },
        { "int64", 9_000_000_000_000_000_000L + i }, // beyond 2^53: congodb keeps it an int64 (smaller ones, see Altered)
        { "int64min", long.MinValue },
        { "double", 1.5 + i },
        { "doubleTiny", -2.5e-300 },
        { "doubleHuge", 1.7976931348623157e308 },
        { "infinity", double.NegativeInfinity },
        { "decimal", Decimal128.Parse($"1234567890.123456789012345678{i % 10}") },
        { "decimalNegative", Decimal128.Parse("-0.000000000000000000000000000001") },
        { "date", new BsonDateTime(new DateTime(2026, 12, 7, 11, 22, 33, 444, DateTimeKind.Utc).AddDays(i)) },
        { "dateEpoch", new BsonDateTime(0) },
        { "binary", new BsonBinaryData([0, 1, 2, 255, (byte)i]) },
        { "uuid", new BsonBinaryData(Guid.Parse("3f2504e0-4f89-11d3-9a0c-0305e82c3301"), GuidRepresentation.Standard) },
        { "md5", new BsonBinaryData(new byte[16], BsonBinarySubType.MD5) },
        { "encrypted", new BsonBinaryData([1, 2, 3], BsonBinarySubType.Encrypted) },
        { "userBinary", new BsonBinaryData([9, 8, 7], BsonBinarySubType.UserDefined) },
        { "emptyBinary", new BsonBinaryData([]) },
        { "nested", new BsonDocument { { "a", new BsonArray { 1, "two", new BsonDocument("three", 3.25), new BsonArray { BsonNull.Value, true } } }, { "deep", new BsonDocument("er", new BsonDocument("est", i)) } } },
        { "emptyArray", new BsonArray() },
        { "emptyDocument", new BsonDocument() },
        { "null", BsonNull.Value },
        { "regex", new BsonRegularExpression("^ab+c[0-9]*$", "i") },
        { "regexFlags", new BsonRegularExpression("a.c", "im") },
        { "timestamp", new BsonTimestamp(1_700_000_000 + i, 7) },
        { "minKey", BsonMinKey.Value },
        { "maxKey", BsonMaxKey.Value },
        { "code", new BsonJavaScript("function () { return 1; }") },
        { "true", true },
        { "false", false },
        { "text", $"héllo wörld ✓ 𝄞 #{i}" },
        { "emptyText", "" },
    };

    /// <summary>
    /// Values congodb changes when it stores them (measured with the driver against congodb):
    /// int64 within ±2^53 and integer-valued doubles become int32 (or a double), -0.0 becomes 0,
    /// binary subtype 2 becomes 0, regex flags other than i/m/s are dropped and "s" is written
    /// before "m" (BSON wants them sorted), Symbol becomes a
    /// string, undefined disappears. MongoDB keeps all of them. A backup copies what the server
    /// holds, so with congodb these round-trip only as congodb stored them.
    /// </summary>
    public static BsonDocument Altered(int i) => new()
    {
        { "_id", ObjectId.GenerateNewId() },
        { "smallInt64", 7L + i },
        { "integerDouble", 3.0 },
        { "negativeZero", -0.0 },
        { "oldBinary", new BsonBinaryData([5, 6], (BsonBinarySubType)2) }, // the deprecated "old binary" subtype
        { "regexExtended", new BsonRegularExpression("a b", "x") },
        { "regexDotAll", new BsonRegularExpression("a.c", "ims") },
        { "symbol", BsonSymbol.Create("sym") },
        { "undefined", BsonUndefined.Value },
    };

    /// <summary>A small document as an application writes many of (~130 bytes).</summary>
    public static BsonDocument Small(int i) => new()
    {
        { "_id", ObjectId.GenerateNewId() },
        { "n", i },
        { "sku", $"SKU-{i % 977:D5}" },
        { "price", Decimal128.Parse($"{i % 1000}.{i % 100:D2}") },
        { "at", new BsonDateTime(1_700_000_000_000L + i * 1000L) },
        { "tags", new BsonArray { "a", i % 2 == 0 ? "even" : "odd" } },
    };

    /// <summary>A document of about <paramref name="megabytes"/> MB (MongoDB's limit is 16 MB).</summary>
    public static BsonDocument Large(int megabytes)
    {
        var payload = new byte[megabytes * 1024 * 1024];
        new Random(42).NextBytes(payload);
        return new BsonDocument { { "_id", ObjectId.GenerateNewId() }, { "name", "large" }, { "payload", new BsonBinaryData(payload) } };
    }
}
