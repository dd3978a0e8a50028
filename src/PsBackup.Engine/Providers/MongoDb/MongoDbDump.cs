using System.Text.RegularExpressions;
using MongoDB.Bson;
using MongoDB.Bson.IO;
using MongoDB.Driver;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Providers.MongoDb;

/// <summary>
/// A full backup of a MongoDB target: per collection, the documents exactly as the server sends
/// them (a raw BSON stream, what mongodump writes to &lt;collection&gt;.bson) and the collection's
/// metadata. Collections are read in parallel (-ThrottleLimit). On a replica set or sharded
/// cluster every read uses one snapshot (readConcern "snapshot" at one cluster time); a standalone
/// server cannot do that, and the state and a warning say so.
/// </summary>
internal sealed partial class MongoDbDump(TargetBackupContext context, MongoClient client)
{
    /// <summary>Documents per cursor batch (the server also stops a batch at 16 MB).</summary>
    public const int BatchSize = 1000;

    private readonly MongoDbTarget _target = (MongoDbTarget)context.Target;

    public async Task<MongoDbState> RunAsync(CancellationToken ct)
    {
        var server = await MongoDbServer.DescribeAsync(client, ct).ConfigureAwait(false);
        var database = client.GetDatabase(_target.Database);
        var readPreference = client.Settings.ReadPreference;
        var entries = await MongoDbServer.ListCollectionsAsync(database, readPreference, ct).ConfigureAwait(false);
        var selected = Select(entries);
        var state = new MongoDbState
        {
            Server = MongoDbConnections.Hosts(_target.ConnectionString),
            ServerVersion = server.Version,
            Topology = server.Topology,
            Database = _target.Database,
        };
        var names = ArtifactNames(selected.Select(e => e["name"].AsString).ToList());
        var collections = selected.Select((entry, i) => (Entry: entry, State: new MongoDbCollectionState { Name = entry["name"].AsString, Artifact = names[i] })).ToList();
        state.Collections = collections.Select(c => c.State).ToList();

        BsonTimestamp? snapshot = null;
        if (server.SupportsSnapshotReads && collections.Count > 0)
        {
            snapshot = await SnapshotTimeAsync(database.GetCollection<RawBsonDocument>(collections[0].State.Name), ct).ConfigureAwait(false);
            state.Consistency = MongoDbState.Snapshot;
            state.ClusterTime = $"{snapshot.Timestamp}:{snapshot.Increment}";
        }
        else
        {
            state.Consistency = MongoDbState.PerCollection;
            context.Warn(server.Topology == MongoDbServerInfo.Standalone
                ? $"{MongoDbConnections.Describe(_target.ConnectionString)} is a standalone server, which cannot read at one point in time: each collection was read by itself while the server kept accepting writes (the manifest records when). Back up a replica set member for one consistent snapshot."
                : $"{MongoDbConnections.Describe(_target.ConnectionString)} runs MongoDB {server.Version}; snapshot reads need 5.0 or later: each collection was read by itself, not at one point in time (the manifest records when).");
        }
        if (context.Type == BackupType.Incremental)
            context.Warn("MongoDB has no incremental backup in PsBackup (it would need the oplog of a replica set): this backup holds a complete copy of the target.");

        var progress = new ProgressReporter(context.Progress, $"Backing up '{_target.Name}' (MongoDB {_target.Database})", -1);
        await Workers.RunAsync(collections, context.ThrottleLimit,
            (c, token) => DumpCollectionAsync(database, c.Entry, c.State, snapshot, progress, token), ct).ConfigureAwait(false);
        state.Documents = state.Collections.Sum(c => c.Documents);
        state.Bytes = state.Collections.Sum(c => c.Bytes);
        return state;
    }

    /// <summary>
    /// The target's collections: plain collections of the database, without system.* ones,
    /// matching the target's names and wildcards. A name that is not there fails the target; a
    /// wildcard that matches nothing, views and time-series collections are warnings.
    /// </summary>
    private List<BsonDocument> Select(List<BsonDocument> entries)
    {
        if (entries.Count == 0)
            throw new PsBackupException("MongoDatabaseNotFound", ErrorKind.NotFound,
                $"{MongoDbConnections.Describe(_target.ConnectionString)} has no database '{_target.Database}' (no collection in it). Check -Database of target '{_target.Name}'.");
        var candidates = entries.Where(e => !MongoDbNames.IsSystem(e["name"].AsString)).ToList();
        if (_target.Collections.Length > 0)
        {
            var globs = _target.Collections.Select(p => new Glob(p)).ToList();
            foreach (var glob in globs.Where(g => !candidates.Exists(e => g.IsMatch(e["name"].AsString))))
            {
                if (!Glob.HasWildcards(glob.Pattern))
                    throw new PsBackupException("MongoCollectionNotFound", ErrorKind.NotFound,
                        $"Database '{_target.Database}' on {MongoDbConnections.Describe(_target.ConnectionString)} has no collection '{glob.Pattern}' (target '{_target.Name}').");
                context.Warn($"No collection of database '{_target.Database}' matches '{glob.Pattern}'.");
            }
            candidates = candidates.Where(e => globs.Exists(g => g.IsMatch(e["name"].AsString))).ToList();
        }
        foreach (var other in candidates.Where(e => e.GetValue("type", "collection").AsString != "collection"))
            context.Warn($"'{other["name"].AsString}' is a {other["type"].AsString}, not a collection: it is not backed up.");
        return candidates.Where(e => e.GetValue("type", "collection").AsString == "collection")
            .OrderBy(e => e["name"].AsString, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Each collection's artifact base name: its own name when that is a portable file name and no
    /// earlier collection took it in another letter case (local repositories on case-insensitive
    /// file systems); otherwise "~NNNN" (its position), which no portable name can be.
    /// </summary>
    internal static List<string> ArtifactNames(IReadOnlyList<string> collections)
    {
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        return collections.Select((name, i) => PortableName().IsMatch(name) && used.Add(name) ? name : $"~{i + 1:D4}").ToList();
    }

    [GeneratedRegex("^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$")]
    private static partial Regex PortableName();

    /// <summary>Opens a snapshot with one read and returns its cluster time, which every collection's read then uses.</summary>
    private async Task<BsonTimestamp> SnapshotTimeAsync(IMongoCollection<RawBsonDocument> first, CancellationToken ct)
    {
        using var session = await client.StartSessionAsync(new ClientSessionOptions { Snapshot = true }, ct).ConfigureAwait(false);
        using (var cursor = await first.FindAsync(session, FilterDefinition<RawBsonDocument>.Empty, new FindOptions<RawBsonDocument> { Limit = 1 }, ct).ConfigureAwait(false))
            while (await cursor.MoveNextAsync(ct).ConfigureAwait(false))
                foreach (var document in cursor.Current) document.Dispose();
        return session.WrappedCoreSession.SnapshotTime
               ?? throw new PsBackupException("MongoSnapshotUnavailable", ErrorKind.ResourceUnavailable,
                   $"{MongoDbConnections.Describe(_target.ConnectionString)} answered a snapshot read without a cluster time.");
    }

    private async Task DumpCollectionAsync(IMongoDatabase database, BsonDocument entry, MongoDbCollectionState state,
        BsonTimestamp? snapshot, ProgressReporter progress, CancellationToken ct)
    {
        var indexes = await MongoDbServer.ListIndexesAsync(database, state.Name, client.Settings.ReadPreference, ct).ConfigureAwait(false);
        using var session = snapshot == null
            ? null
            : await client.StartSessionAsync(new ClientSessionOptions { Snapshot = true, SnapshotTime = snapshot }, ct).ConfigureAwait(false);
        var collection = database.GetCollection<RawBsonDocument>(state.Name);
        var options = new FindOptions<RawBsonDocument> { BatchSize = BatchSize };
        state.ReadStarted = DateTimeOffset.UtcNow;
        await context.WriteArtifactAsync(state.DataArtifact, output => CursorReadAhead.ForEachBatchAsync(
            token => session == null
                ? collection.FindAsync(FilterDefinition<RawBsonDocument>.Empty, options, token)
                : collection.FindAsync(session, FilterDefinition<RawBsonDocument>.Empty, options, token),
            batch =>
            {
                long batchBytes = 0;
                foreach (var document in batch)
                    using (document)
                        batchBytes += Write(document.Slice, output);
                state.Documents += batch.Count;
                state.Bytes += batchBytes;
                progress.Add(batchBytes, state.Name);
            }, ct), ct).ConfigureAwait(false);
        state.ReadEnded = DateTimeOffset.UtcNow;
        progress.ItemDone();
        var metadata = MongoDbMetadata.From(entry, indexes, state.Documents);
        await context.WriteArtifactAsync(state.MetadataArtifact, output => output.WriteAsync(metadata.ToBytes(), ct).AsTask(), ct).ConfigureAwait(false);
    }

    /// <summary>Writes a document's bytes as the server sent them, segment by segment of the reply buffer (no copy, no re-serializing).</summary>
    private static int Write(IByteBuffer document, Stream output)
    {
        var length = document.Length;
        for (var position = 0; position < length;)
        {
            var segment = document.AccessBackingBytes(position);
            var count = Math.Min(segment.Count, length - position);
            output.Write(segment.Array!, segment.Offset, count);
            position += count;
        }
        return length;
    }
}
