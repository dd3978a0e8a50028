using System.Net;
using Newtonsoft.Json.Linq;
using Npgsql;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers.Capabilities;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>
/// PostgreSQL tables. A full backup writes "schema" (the tables' definitions, JSON) and one
/// "table-NNNN" artifact per table (its binary COPY); an incremental writes "changes" (the rows
/// inserted, updated and deleted since its base, decoded from the chain's replication slot) and
/// "schema" again with the sequences' new positions. See docs/design.md.
/// </summary>
public sealed class PgTableProvider : EngineKind<PostgreSqlTarget>, IIncrementalBackup, ITargetResources, IHealthProbe, IRestoreDrill
{
    internal const string SchemaArtifact = "schema";
    internal const string ChangesArtifact = "changes";

    public override Type RestoreOptionsType => typeof(PgTableRestoreOptions);

    public override IReadOnlyList<string> RequiredArtifacts(BackupType type) => [SchemaArtifact];

    /// <summary>-Destination is a database: a name on the target's server, a postgresql:// URI or a connection string (<see cref="PgDestination"/>).</summary>
    public override bool IsPathDestination(string destination) => false;

    public async Task ProbeAsync(BackupTarget target, NetworkCredential? credential, CancellationToken ct)
    {
        var builder = Builder((PostgreSqlTarget)target, credential);
        await using var _ = await PgConnections.OpenAsync(builder, ct).ConfigureAwait(false);
    }

    public override async Task<JObject> BackupAsync(TargetBackupContext context, CancellationToken ct)
    {
        var builder = Builder((PostgreSqlTarget)context.Target, context.Credential);
        try
        {
            var state = context.Base == null
                ? await new PgFullBackup(context, builder).RunAsync(ct).ConfigureAwait(false)
                : await new PgIncrementalBackup(context, builder).RunAsync(ct).ConfigureAwait(false);
            return JObject.FromObject(state, Json.Serializer);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw PgConnections.Translate(e, builder);
        }
    }

    public override Task<RestoreResult> RestoreAsync(TargetRestoreContext context, CancellationToken ct) => new PgRestorer(context).RunAsync(ct);

    public Task<DrillScratch> CreateScratchAsync(BackupTarget target, DrillSettings settings, CancellationToken ct) => PgTableDrill.CreateAsync(target, settings, ct);

    public Task<IReadOnlyList<DrillCheck>> VerifyAsync(TargetRestoreContext restored, DrillScratch scratch, CancellationToken ct) => PgTableDrill.VerifyAsync(restored, scratch, ct);

    public string DescribeScratch(BackupTarget target, DrillSettings settings) => PgTableDrill.Describe(target, settings);

    public async Task<BackupTargetStatus> GetStatusAsync(string repositoryId, string collection, BackupTarget target, NetworkCredential? credential, CancellationToken ct)
    {
        var table = (PostgreSqlTarget)target;
        var status = new BackupTargetStatus { Collection = collection, Target = target.Name, Kind = target.Kind, Location = target.Location };
        await using var connection = await PgConnections.OpenAsync(Builder(table, credential), ct).ConfigureAwait(false);
        var slots = await PgSlots.StatusAsync(connection, PgSlots.Prefix(repositoryId, collection, target.Name), ct).ConfigureAwait(false);
        var current = slots.OrderByDescending(s => s.ConfirmedFlushLsn == null ? default : NpgsqlTypes.NpgsqlLogSequenceNumber.Parse(s.ConfirmedFlushLsn)).FirstOrDefault();
        if (current == null)
        {
            status.Message = "No replication slot: incrementals are off, or no full backup has run yet.";
            return status;
        }
        (status.ReplicationSlot, status.SlotActive, status.RetainedWalBytes, status.WalStatus, status.StaleSlots) =
            (current.Name, current.Active, slots.Sum(s => s.RetainedWalBytes), current.WalStatus ?? "", slots.Count - 1);
        status.Message = slots.Count > 1 ? "Older slots of failed or superseded full backups are dropped by the next backup." : "";
        return status;
    }

    public async Task DropAsync(string repositoryId, string collection, BackupTarget target, NetworkCredential? credential, CancellationToken ct)
    {
        var builder = Builder((PostgreSqlTarget)target, credential);
        var prefix = PgSlots.Prefix(repositoryId, collection, target.Name);
        try
        {
            await using var connection = await PgConnections.OpenAsync(builder, ct).ConfigureAwait(false);
            await PgSlots.DropAllAsync(connection, prefix, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new PsBackupException("TargetCleanupFailed", ErrorKind.ResourceUnavailable,
                $"Could not drop the replication slots and publication of target '{target.Name}' on {target.Location} ({PgConnections.Translate(e, builder).Message}). " +
                $"They keep WAL on the server. Fix the connection and run Remove-BackupCollection again, or use -Force and then run on the server: " +
                $"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE '{prefix}\\_%'; DROP PUBLICATION IF EXISTS {prefix};", e);
        }
    }

    internal static NpgsqlConnectionStringBuilder Builder(PostgreSqlTarget target, NetworkCredential? credential) =>
        Session(PgConnections.Builder(target, target.Database, credential));

    /// <summary>
    /// The session every table backup and restore runs in: search_path = pg_catalog, so catalogs
    /// print every name schema-qualified; and fixed text formats (as pg_dump sets them), since text
    /// COPY and decoded changes carry values as text that another session parses back.
    /// </summary>
    internal static NpgsqlConnectionStringBuilder Session(NpgsqlConnectionStringBuilder builder)
    {
        builder.SearchPath = "pg_catalog";
        builder.Options = "-c DateStyle=ISO -c IntervalStyle=postgres -c extra_float_digits=3";
        return builder;
    }

    internal static Task<PgSchemaDocument> ReadSchemaAsync(Stream stream, CancellationToken ct) => PgSchemaDocument.ReadAsync(stream, ct);
}
