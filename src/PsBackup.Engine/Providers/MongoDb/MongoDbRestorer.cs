using System.Collections.Concurrent;
using System.Diagnostics;
using MongoDB.Bson;
using MongoDB.Driver;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers.MongoDb;

/// <summary>
/// Restores a MongoDB target's collections into a database: every destination collection is
/// checked first (existing collections with documents are refused without -Force, before anything
/// is written); then each collection, in parallel, is created with its options (or replaced with
/// -Force), loaded with ordered bulk inserts of the backed-up documents' bytes, and given its
/// indexes. A failure drops the collections the restore created.
/// </summary>
internal sealed class MongoDbRestorer(TargetRestoreContext context)
{
    /// <summary>Documents per insert (the driver also splits at the server's 48 MB message limit).</summary>
    public const int BatchDocuments = 1000;
    private const int BatchBytes = 16 * 1024 * 1024;

    private readonly MongoDbTarget _target = (MongoDbTarget)context.Target;

    public async Task<RestoreResult> RunAsync(CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var state = ReadState(context.HeadRecord, context.Head.Id, _target.Name);
        var prefix = context.OptionsOr<MongoDbRestoreOptions>().CollectionPrefix ?? "";
        if (prefix.Length > 0) MongoDbNames.ValidateCollection(prefix, "-CollectionPrefix", prefix: true);
        var destination = MongoDbDestination.Resolve(_target, context.Destination, context.Credential);

        var plan = new List<Step>();
        foreach (var collection in state.Collections)
        {
            var metadata = await ReadMetadataAsync(context, collection, ct).ConfigureAwait(false);
            MongoDbNames.ValidateCollection(prefix + collection.Name, "The restored collection");
            plan.Add(new Step(collection, metadata, prefix + collection.Name));
        }

        using var client = destination.Open();
        var created = new ConcurrentBag<string>();
        var database = client.GetDatabase(destination.Database).WithReadPreference(ReadPreference.Primary);
        var progress = new ProgressReporter(context.Progress, $"Restoring '{_target.Name}' to {destination}",
            state.Collections.Sum(c => context.HeadRecord.Artifacts.Find(a => a.Name == c.DataArtifact)?.Size ?? 0));
        try
        {
            var existing = await CheckDestinationAsync(database, destination, plan, ct).ConfigureAwait(false);
            await Workers.RunAsync(plan, context.ThrottleLimit,
                (step, token) => RestoreCollectionAsync(database, step, existing.Contains(step.Name), created, progress, token), ct).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await DropAsync(database, created.Distinct()).ConfigureAwait(false);
            throw MongoDbConnections.Translate(e, client, destination.ConnectionString);
        }
        return new RestoreResult
        {
            BackupId = context.Head.Id,
            Collection = context.Head.Collection,
            Target = _target.Name,
            Destination = destination + (prefix.Length > 0 ? $" (collections prefixed '{prefix}')" : ""),
            ItemCount = plan.Sum(s => s.Source.Documents),
            SizeBytes = plan.Sum(s => s.Source.Bytes),
            Duration = clock.Elapsed,
        };
    }

    private sealed record Step(MongoDbCollectionState Source, MongoDbMetadata Metadata, string Name);

    internal static MongoDbState ReadState(TargetRecord record, string backupId, string target) =>
        record.State?.ToObject<MongoDbState>(Json.Serializer) is { Database.Length: > 0 } state
            ? state
            : throw new IntegrityException($"Backup '{backupId}' records no MongoDB collections for target '{target}'.");

    internal static async Task<MongoDbMetadata> ReadMetadataAsync(TargetRestoreContext context, MongoDbCollectionState collection, CancellationToken ct)
    {
        await using var stream = await context.OpenArtifactAsync(context.Head.Id, collection.MetadataArtifact, ct).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, ct).ConfigureAwait(false);
        return MongoDbMetadata.Parse(buffer.ToArray(), $"Artifact '{collection.MetadataArtifact}' of backup '{context.Head.Id}'");
    }

    /// <summary>The destination's collections that the restore would write to; refuses those holding documents unless -Force.</summary>
    private async Task<HashSet<string>> CheckDestinationAsync(IMongoDatabase database, MongoDbDestination destination, List<Step> plan, CancellationToken ct)
    {
        var present = (await MongoDbServer.ListCollectionsAsync(database, ReadPreference.Primary, ct).ConfigureAwait(false))
            .Select(e => e["name"].AsString).ToHashSet(StringComparer.Ordinal);
        var existing = plan.Select(s => s.Name).Where(present.Contains).ToHashSet(StringComparer.Ordinal);
        if (context.Force) return existing;
        var holding = new List<string>();
        foreach (var name in existing)
            if (await database.GetCollection<RawBsonDocument>(name).Find(FilterDefinition<RawBsonDocument>.Empty).Limit(1).AnyAsync(ct).ConfigureAwait(false))
                holding.Add(name);
        if (holding.Count > 0)
            throw new RestoreConflictException(
                $"{destination} already has documents in {holding.Count} collection(s) this restore writes ({string.Join(", ", holding.Order(StringComparer.Ordinal).Take(5))}{(holding.Count > 5 ? ", …" : "")}); nothing was written. " +
                "Use -Force to replace them, -CollectionPrefix to restore beside them, or -Destination for another database.");
        return existing;
    }

    private async Task RestoreCollectionAsync(IMongoDatabase database, Step step, bool exists, ConcurrentBag<string> created,
        ProgressReporter progress, CancellationToken ct)
    {
        if (exists && context.Force)
        {
            created.Add(step.Name); // replaced: if the restore fails, the collection is neither the old one nor the backup's
            await database.DropCollectionAsync(step.Name, ct).ConfigureAwait(false);
            exists = false;
        }
        if (!exists)
        {
            var create = new BsonDocument("create", step.Name);
            create.AddRange(step.Metadata.Options);
            await database.RunCommandAsync<BsonDocument>(create, cancellationToken: ct).ConfigureAwait(false);
            created.Add(step.Name);
        }

        var collection = database.GetCollection<RawBsonDocument>(step.Name);
        var insert = new InsertManyOptions { IsOrdered = true, BypassDocumentValidation = true }; // restore what was stored, even if the validator changed since
        long documents = 0;
        await using (var artifact = await context.OpenArtifactAsync(context.Head.Id, step.Source.DataArtifact, ct).ConfigureAwait(false))
        {
            var reader = new BsonDocumentStream(new BufferedStream(artifact, 1 << 16), $"Artifact '{step.Source.DataArtifact}' of backup '{context.Head.Id}'");
            var batch = new List<RawBsonDocument>();
            long batchBytes = 0;
            Task? inFlight = null; // one insert in flight while the next batch is read
            try
            {
                while (await reader.NextDocumentAsync(ct).ConfigureAwait(false) is { } document)
                {
                    batch.Add(document);
                    batchBytes += document.Slice.Length;
                    documents++;
                    if (batch.Count < BatchDocuments && batchBytes < BatchBytes) continue;
                    if (inFlight != null) await inFlight.ConfigureAwait(false);
                    inFlight = InsertAsync(collection, batch, batchBytes, insert, progress, ct);
                    (batch, batchBytes) = ([], 0);
                }
                if (inFlight != null) await inFlight.ConfigureAwait(false);
            }
            catch when (inFlight is { IsCompleted: false })
            {
                // Never leave an insert running behind a failure (the cleanup would race it); the first failure is what counts.
                await inFlight.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
                throw;
            }
            if (batch.Count > 0) await InsertAsync(collection, batch, batchBytes, insert, progress, ct).ConfigureAwait(false);
        }
        if (documents != step.Metadata.Count)
            throw new IntegrityException($"Collection '{step.Source.Name}' of backup '{context.Head.Id}' holds {documents} documents, but its metadata records {step.Metadata.Count}.");

        var indexes = step.Metadata.SecondaryIndexes.ToList();
        if (indexes.Count > 0)
            await database.RunCommandAsync<BsonDocument>(new BsonDocument { { "createIndexes", step.Name }, { "indexes", new BsonArray(indexes) } }, cancellationToken: ct).ConfigureAwait(false);
        progress.ItemDone();
    }

    private static async Task InsertAsync(IMongoCollection<RawBsonDocument> collection, List<RawBsonDocument> batch, long bytes,
        InsertManyOptions options, ProgressReporter progress, CancellationToken ct)
    {
        await collection.InsertManyAsync(batch, options, ct).ConfigureAwait(false);
        progress.Add(bytes, collection.CollectionNamespace.CollectionName);
    }

    /// <summary>Best effort: what a failed restore created must not look like a restored collection.</summary>
    private static async Task DropAsync(IMongoDatabase database, IEnumerable<string> created)
    {
        foreach (var name in created)
        {
            try { await database.DropCollectionAsync(name, CancellationToken.None).ConfigureAwait(false); }
            catch (MongoException) { /* the original failure is what the caller must see */ }
            catch (TimeoutException) { }
        }
    }
}
