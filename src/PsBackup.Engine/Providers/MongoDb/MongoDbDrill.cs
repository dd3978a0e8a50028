using System.Security.Cryptography;
using MongoDB.Bson;
using MongoDB.Bson.IO;
using MongoDB.Driver;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers.Capabilities;

namespace PsBackup.Engine.Providers.MongoDb;

/// <summary>
/// Restore drills of MongoDB targets: a scratch database (psbackup_drill_&lt;random&gt;) on the target's
/// server or on -DrillServer, dropped when the drill ends; and the checks of what a restore put
/// there against the backup, per collection: the number of documents, every document's bytes (an
/// order-independent digest), a sample of documents compared byte by byte (naming one that
/// differs), and the index names.
/// </summary>
internal static class MongoDbDrill
{
    private const int SampleSize = 100;
    private static readonly JsonWriterSettings Canonical = new() { OutputMode = JsonOutputMode.CanonicalExtendedJson, Indent = false };

    public static async Task<DrillScratch> CreateScratchAsync(MongoDbTarget target, DrillSettings settings, CancellationToken ct)
    {
        var name = "psbackup_drill_" + RandomNumberGenerator.GetHexString(8, lowercase: true);
        string destination;
        if (settings.DrillServer == null)
            destination = name;
        else
        {
            MongoDbNames.ParseUri(settings.DrillServer, "-DrillServer");
            destination = new MongoUrlBuilder(settings.DrillServer) { DatabaseName = name }.ToString();
        }
        var where = MongoDbDestination.Resolve(target, destination, settings.Credential);
        using var client = where.Open();
        try
        {
            if ((await MongoDbServer.ListCollectionsAsync(client.GetDatabase(where.Database), ReadPreference.Primary, ct).ConfigureAwait(false)).Count > 0)
                throw new RestoreConflictException($"{where} already exists; a drill needs a database of its own.");
        }
        catch (Exception e)
        {
            throw MongoDbConnections.Translate(e, client, where.ConnectionString);
        }
        return new Scratch(where, destination);
    }

    /// <summary>The scratch database; disposing drops it.</summary>
    private sealed class Scratch(MongoDbDestination where, string destination) : DrillScratch
    {
        public override string Destination => destination;

        public override async ValueTask DisposeAsync()
        {
            using var client = where.Open();
            try
            {
                await client.DropDatabaseAsync(where.Database, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                throw new PsBackupException("DrillCleanupFailed", ErrorKind.WriteError,
                    $"The drill's scratch database {where} could not be dropped ({MongoDbConnections.Translate(e, client, where.ConnectionString).Message}); drop it by hand.", e);
            }
        }
    }

    public static async Task<IReadOnlyList<DrillCheck>> VerifyAsync(TargetRestoreContext restored, DrillScratch scratch, CancellationToken ct)
    {
        var target = (MongoDbTarget)restored.Target;
        var state = MongoDbRestorer.ReadState(restored.HeadRecord, restored.Head.Id, target.Name);
        var prefix = restored.OptionsOr<MongoDbRestoreOptions>().CollectionPrefix
                     ?? (scratch.RestoreOptions as MongoDbRestoreOptions)?.CollectionPrefix ?? "";
        var where = MongoDbDestination.Resolve(target, restored.Destination ?? scratch.Destination, restored.Credential);
        using var client = where.Open();
        var database = client.GetDatabase(where.Database).WithReadPreference(ReadPreference.Primary);
        var checks = new List<DrillCheck>();
        try
        {
            foreach (var collection in state.Collections)
            {
                var metadata = await MongoDbRestorer.ReadMetadataAsync(restored, collection, ct).ConfigureAwait(false);
                var expected = await ReadBackupAsync(restored, collection, ct).ConfigureAwait(false);
                var observed = await ReadRestoredAsync(database.GetCollection<RawBsonDocument>(prefix + collection.Name), expected.Sample, ct).ConfigureAwait(false);
                var name = prefix + collection.Name;
                checks.Add(new DrillCheck($"{name}: documents", expected.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), observed.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), expected.Count == observed.Count));
                checks.Add(new DrillCheck($"{name}: content (every document's bytes)", expected.Digest, observed.Digest, expected.Digest == observed.Digest));
                checks.Add(new DrillCheck($"{name}: sample of {expected.Sample.Count} documents", $"{expected.Sample.Count} byte-identical",
                    observed.Differing == null ? $"{expected.Sample.Count} byte-identical" : observed.Differing, observed.Differing == null));
                var indexes = await IndexNamesAsync(database, name, ct).ConfigureAwait(false);
                var backedUp = metadata.Indexes.Select(i => i["name"].AsString).Order(StringComparer.Ordinal).ToList();
                checks.Add(new DrillCheck($"{name}: indexes", string.Join(", ", backedUp), string.Join(", ", indexes), backedUp.SequenceEqual(indexes)));
            }
        }
        catch (Exception e)
        {
            throw MongoDbConnections.Translate(e, client, where.ConnectionString);
        }
        return checks;
    }

    /// <summary>The restored collection's index names; none when the restore did not create it.</summary>
    private static async Task<List<string>> IndexNamesAsync(IMongoDatabase database, string collection, CancellationToken ct)
    {
        try
        {
            return (await MongoDbServer.ListIndexesAsync(database, collection, ReadPreference.Primary, ct).ConfigureAwait(false))
                .Select(i => i["name"].AsString).Order(StringComparer.Ordinal).ToList();
        }
        catch (MongoCommandException e) when (e.Code == 26) // NamespaceNotFound
        {
            return [];
        }
    }

    private sealed record Expected(long Count, string Digest, Dictionary<string, byte[]> Sample);

    private sealed record Observed(long Count, string Digest, string? Differing);

    /// <summary>Reads the backup's documents once: their count, digest and a uniform random sample (reservoir sampling) by _id.</summary>
    private static async Task<Expected> ReadBackupAsync(TargetRestoreContext restored, MongoDbCollectionState collection, CancellationToken ct)
    {
        var digest = new Digest();
        var sample = new List<(string Id, byte[] Bytes)>();
        var random = new Random();
        long count = 0;
        await using (var artifact = await restored.OpenArtifactAsync(restored.Head.Id, collection.DataArtifact, ct).ConfigureAwait(false))
        {
            var reader = new BsonDocumentStream(new BufferedStream(artifact, 1 << 16), $"Artifact '{collection.DataArtifact}' of backup '{restored.Head.Id}'");
            while (await reader.NextAsync(ct).ConfigureAwait(false) is { } bytes)
            {
                digest.Add(bytes);
                count++;
                if (sample.Count < SampleSize) sample.Add((IdOf(bytes), bytes));
                else if (random.NextInt64(count) is var slot && slot < SampleSize) sample[(int)slot] = (IdOf(bytes), bytes);
            }
        }
        return new Expected(count, digest.ToString(), sample.ToDictionary(s => s.Id, s => s.Bytes));
    }

    /// <summary>Scans the restored collection once: count, digest, and the first sampled document whose bytes differ or that is missing.</summary>
    private static async Task<Observed> ReadRestoredAsync(IMongoCollection<RawBsonDocument> collection, Dictionary<string, byte[]> sample, CancellationToken ct)
    {
        var digest = new Digest();
        var seen = new HashSet<string>();
        string? differing = null;
        long count = 0;
        using var cursor = await collection.FindAsync(FilterDefinition<RawBsonDocument>.Empty, new FindOptions<RawBsonDocument> { BatchSize = MongoDbDump.BatchSize }, ct).ConfigureAwait(false);
        while (await cursor.MoveNextAsync(ct).ConfigureAwait(false))
            foreach (var document in cursor.Current)
                using (document)
                {
                    var bytes = new byte[document.Slice.Length];
                    document.Slice.GetBytes(0, bytes, 0, bytes.Length);
                    digest.Add(bytes);
                    count++;
                    var id = IdOf(bytes);
                    if (!sample.TryGetValue(id, out var expected)) continue;
                    seen.Add(id);
                    if (differing == null && !expected.AsSpan().SequenceEqual(bytes))
                        differing = $"the document with _id {id} differs from the backup's";
                }
        differing ??= sample.Keys.FirstOrDefault(id => !seen.Contains(id)) is { } missing ? $"the document with _id {missing} is missing" : null;
        return new Observed(count, digest.ToString(), differing);
    }

    /// <summary>A document's _id as canonical Extended JSON, which tells types apart (1, 1L and "1" differ).</summary>
    private static string IdOf(byte[] document)
    {
        using var raw = new RawBsonDocument(document);
        return raw.TryGetValue("_id", out var id) ? new BsonDocument("_id", id).ToJson(Canonical) : "(none)";
    }

    /// <summary>An order-independent digest of documents: the XOR of each document's SHA-256 (documents are distinct by _id).</summary>
    private sealed class Digest
    {
        private readonly byte[] _value = new byte[32];

        public void Add(byte[] document)
        {
            Span<byte> hash = stackalloc byte[32];
            SHA256.HashData(document, hash);
            for (var i = 0; i < hash.Length; i++) _value[i] ^= hash[i];
        }

        public override string ToString() => Convert.ToHexString(_value).ToLowerInvariant();
    }
}
