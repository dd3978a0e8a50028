using System.Diagnostics;
using System.Net;
using Newtonsoft.Json.Linq;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers.Capabilities;

namespace PsBackup.Engine.Providers.Redis;

/// <summary>
/// Redis targets. Both modes write one artifact, "dump.rdb", an RDB file: a Snapshot is the
/// server's own consistent RDB fetched over the replication protocol; a Logical backup is an RDB
/// that PsBackup writes from DUMP payloads of the selected keys. Redis has no incremental
/// backup: every backup, -Incremental included, holds a complete copy.
/// </summary>
public sealed class RedisProvider : EngineKind<RedisTarget>, IHealthProbe, IRestoreDrill, IFailover
{
    internal const string Artifact = "dump.rdb";

    public override Type RestoreOptionsType => typeof(RedisRestoreOptions);

    public override IReadOnlyList<string> RequiredArtifacts(BackupType type) => [Artifact];

    /// <summary>-Destination is a server (host:port, redis:// or rediss://), or else a data directory to write dump.rdb into.</summary>
    public override bool IsPathDestination(string destination) => !RedisEndpoint.LooksLikeAddress(destination);

    public Task ProbeAsync(BackupTarget target, NetworkCredential? credential, CancellationToken ct) =>
        Task.Run(() => RedisConnections.Open((RedisTarget)target, credential, ct).Dispose(), ct);

    public Task<IReadOnlyList<ReplicaState>> GetReplicationAsync(BackupTarget target, NetworkCredential? credential, CancellationToken ct) =>
        Task.Run(() => RedisReplication.Read((RedisTarget)target, credential, ct), ct);

    public Task<DataLossEstimate> EstimateDataLossAsync(CollectionScope scope, BackupTarget target, IReadOnlyList<ReplicaState> servers, ReplicaState standby,
        NetworkCredential? credential, CancellationToken ct) =>
        Task.FromResult(RedisReplication.Estimate(servers, standby));

    public Task PromoteAsync(BackupTarget target, string endpoint, NetworkCredential? credential, CancellationToken ct) =>
        Task.Run(() => RedisReplication.Promote((RedisTarget)target, endpoint, credential, ct), ct);

    public Task VerifyWritableAsync(BackupTarget target, string endpoint, NetworkCredential? credential, CancellationToken ct) =>
        Task.Run(() => RedisReplication.VerifyWritable((RedisTarget)target, endpoint, credential, ct), ct);

    public BackupTarget PointAt(BackupTarget target, string oldPrimary, string newPrimary) => RedisReplication.PointAt((RedisTarget)target, oldPrimary, newPrimary);

    public BackupTarget WithStandbys(BackupTarget target, IReadOnlyList<string> standbys) => RedisReplication.WithStandbys((RedisTarget)target, standbys);

    public override async Task<JObject> BackupAsync(TargetBackupContext context, CancellationToken ct)
    {
        var target = (RedisTarget)context.Target;
        if (context.Type == BackupType.Incremental)
            context.Warn("Redis has no incremental backup: this backup holds a complete copy of the target.");
        using var connection = await Task.Run(() => RedisConnections.Open(target, context.Credential, ct), ct).ConfigureAwait(false);
        using var closeOnCancel = connection.CloseOn(ct);
        var progress = new ProgressReporter(context.Progress, $"Backing up '{target.Name}' ({target.Mode})", -1);
        var state = new JObject { ["mode"] = target.Mode.ToString(), ["endpoint"] = connection.Endpoint.ToString() };
        try
        {
            var server = Info(connection);
            state["redisVersion"] = server.GetValueOrDefault("redis_version");
            state["role"] = server.GetValueOrDefault("role");
            if (target.Mode == RedisBackupMode.Snapshot)
            {
                RedisSnapshot.Result? result = null;
                await context.WriteArtifactAsync(Artifact, output =>
                {
                    result = RedisSnapshot.Fetch(connection, output, progress, ct);
                    return Task.CompletedTask;
                }, ct).ConfigureAwait(false);
                state["rdbVersion"] = result!.RdbVersion;
                state["bytes"] = result.Bytes;
                if (result.Census is { } census) await WriteCensusAsync(context, census, ct).ConfigureAwait(false);
            }
            else
            {
                var logical = new RedisLogicalBackup(connection, target, progress);
                await context.WriteArtifactAsync(Artifact, output =>
                {
                    logical.Run(output, ct);
                    return Task.CompletedTask;
                }, ct).ConfigureAwait(false);
                state["databases"] = new JArray(logical.Databases);
                state["keys"] = logical.Keys;
                state["keysPerDatabase"] = new JObject(logical.KeysPerDatabase.Select(k => new JProperty(k.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), k.Value)));
                state["bytes"] = logical.ValueBytes;
                state["types"] = JObject.FromObject(logical.Types);
                await WriteCensusAsync(context, logical.Census.ToContents([], logical.RdbVersion), ct).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (ct.IsCancellationRequested && e is not OperationCanceledException)
        {
            throw new OperationCanceledException(ct); // the socket was closed to stop a blocked read
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw RedisConnections.Translate(e, connection.Endpoint);
        }
        return state;
    }

    /// <summary>The drill census beside dump.rdb: what a restore drill compares without reading the RDB again.</summary>
    private static Task WriteCensusAsync(TargetBackupContext context, RedisDrill.BackupContents census, CancellationToken ct) =>
        context.WriteArtifactAsync(RedisDrillCensus.Artifact, output => output.WriteAsync(RedisDrillCensus.Serialize(census), ct).AsTask(), ct);

    /// <summary>Server facts for the backup's state; empty when the user may not run INFO (a snapshot does not need it).</summary>
    private static Dictionary<string, string> Info(RespConnection connection)
    {
        string text;
        try { text = connection.Call("INFO", "server").AsString() + "\n" + connection.Call("INFO", "replication").AsString(); }
        catch (RedisServerException e) when (e.Code == "NOPERM") { return []; }
        return text.Split('\n').Select(l => l.Trim().Split(':', 2)).Where(p => p.Length == 2).GroupBy(p => p[0])
            .ToDictionary(g => g.Key, g => g.First()[1], StringComparer.Ordinal);
    }

    public override async Task<RestoreResult> RestoreAsync(TargetRestoreContext context, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var target = (RedisTarget)context.Target;
        var head = context.Head.Id;
        if (!context.HeadRecord.Artifacts.Exists(a => a.Name == Artifact))
            throw new ArtifactMissingException($"Backup '{head}' has no {Artifact} for target '{target.Name}'.");
        Task<Stream> Open(CancellationToken token) => context.OpenArtifactAsync(head, Artifact, token);

        if (context.DestinationPath != null)
        {
            var file = await RedisDataDirectory.RestoreAsync(context, Open, ct).ConfigureAwait(false);
            return Result(context, file, 1, new FileInfo(file).Length, clock.Elapsed);
        }

        var connection = await Task.Run(() =>
        {
            if (context.Destination == null) return RedisConnections.Open(target, context.Credential, ct);
            var endpoint = RedisEndpoint.Parse(context.Destination, out var tls);
            return RedisConnections.Open(endpoint, target.UseTls || tls, target.UserName, context.Credential, ct);
        }, ct).ConfigureAwait(false);
        using (connection)
        using (connection.CloseOn(ct))
        {
            var restorer = new RedisKeyRestorer(connection, context, Open);
            try
            {
                await restorer.RunAsync(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (ct.IsCancellationRequested && e is not OperationCanceledException)
            {
                throw new OperationCanceledException(ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw RedisConnections.Translate(e, connection.Endpoint);
            }
            return Result(context, $"redis://{connection.Endpoint}", restorer.Restored, restorer.Bytes, clock.Elapsed);
        }
    }

    public Task<DrillScratch> CreateScratchAsync(BackupTarget target, DrillSettings settings, CancellationToken ct) => RedisDrill.CreateAsync(target, settings);

    public Task<IReadOnlyList<DrillCheck>> VerifyAsync(TargetRestoreContext restored, DrillScratch scratch, CancellationToken ct) => RedisDrill.VerifyAsync(restored, scratch, ct);

    public string DescribeScratch(BackupTarget target, DrillSettings settings) => RedisDrill.Describe(target, settings);

    private static RestoreResult Result(TargetRestoreContext context, string destination, long items, long bytes, TimeSpan duration) => new()
    {
        BackupId = context.Head.Id,
        Collection = context.Head.Collection,
        Target = context.Target.Name,
        Destination = destination,
        ItemCount = items,
        SizeBytes = bytes,
        Duration = duration,
    };
}
