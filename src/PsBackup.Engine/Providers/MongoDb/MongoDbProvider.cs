using System.Net;
using Newtonsoft.Json.Linq;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers.Capabilities;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers.MongoDb;

/// <summary>
/// MongoDB targets, through the official driver. A backup writes, per collection,
/// "&lt;collection&gt;.bson" (the documents' raw BSON, as mongodump writes it) and
/// "&lt;collection&gt;.metadata.json" (options, indexes, count). Every backup is complete: without a
/// replica set's oplog to test against, -Incremental takes a full copy with a warning.
/// See docs/design.md, "MongoDB targets".
/// </summary>
public sealed class MongoDbProvider : EngineKind<MongoDbTarget>, IHealthProbe, IReplication, IRestoreDrill
{
    public override Type RestoreOptionsType => typeof(MongoDbRestoreOptions);

    /// <summary>-Destination is a database name on the target's server or a mongodb:// URI, never a path.</summary>
    public override bool IsPathDestination(string destination) => false;

    protected override void ValidateTarget(MongoDbTarget target) => MongoDbTargets.Validate(target);

    public override async Task<JObject> BackupAsync(TargetBackupContext context, CancellationToken ct)
    {
        var target = (MongoDbTarget)context.Target;
        using var client = MongoDbConnections.Open(target.ConnectionString, context.Credential);
        try
        {
            var state = await new MongoDbDump(context, client).RunAsync(ct).ConfigureAwait(false);
            return JObject.FromObject(state, Json.Serializer);
        }
        catch (Exception e)
        {
            throw MongoDbConnections.Translate(e, client, target.ConnectionString);
        }
    }

    public override Task<RestoreResult> RestoreAsync(TargetRestoreContext context, CancellationToken ct) => new MongoDbRestorer(context).RunAsync(ct);

    /// <summary>Connects with the login and lists the target database's collections, as a backup starts.</summary>
    public async Task ProbeAsync(BackupTarget target, NetworkCredential? credential, CancellationToken ct)
    {
        var mongo = (MongoDbTarget)target;
        using var client = MongoDbConnections.Open(mongo.ConnectionString, credential);
        try
        {
            await MongoDbServer.ListCollectionsAsync(client.GetDatabase(mongo.Database), client.Settings.ReadPreference, ct).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw MongoDbConnections.Translate(e, client, mongo.ConnectionString);
        }
    }

    public async Task<IReadOnlyList<ReplicaState>> GetReplicationAsync(BackupTarget target, NetworkCredential? credential, CancellationToken ct)
    {
        var mongo = (MongoDbTarget)target;
        using var client = MongoDbConnections.Open(mongo.ConnectionString, credential);
        try
        {
            return await MongoDbReplication.ReadAsync(client, ct).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw MongoDbConnections.Translate(e, client, mongo.ConnectionString);
        }
    }

    /// <summary>Not implemented: replSetStepUp needs a replica set, which no test server here offers, and untested failover code is not shipped.</summary>
    public Task PromoteAsync(BackupTarget target, string endpoint, NetworkCredential? credential, CancellationToken ct) =>
        throw new PsBackupException("PromoteNotSupported", ErrorKind.NotImplemented,
            $"PsBackup cannot promote MongoDB member '{endpoint}' yet (replSetStepUp is untested without a replica set). Run rs.stepUp() on that member, or let the set elect a primary.");

    public Task<DrillScratch> CreateScratchAsync(BackupTarget target, DrillSettings settings, CancellationToken ct) =>
        MongoDbDrill.CreateScratchAsync((MongoDbTarget)target, settings, ct);

    public Task<IReadOnlyList<DrillCheck>> VerifyAsync(TargetRestoreContext restored, DrillScratch scratch, CancellationToken ct) =>
        MongoDbDrill.VerifyAsync(restored, scratch, ct);
}
