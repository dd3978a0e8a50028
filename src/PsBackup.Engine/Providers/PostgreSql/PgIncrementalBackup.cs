using System.Text;
using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using Npgsql.Replication.PgOutput.Messages;
using NpgsqlTypes;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>
/// An incremental: the inserts, updates, deletes and truncations of the chain's tables committed
/// since the base backup, read from the chain's slot. The end is exact: a transactional marker
/// message is written first, and everything committed before it is taken, nothing after. The slot
/// is confirmed only up to the base's LSN (a committed backup), never past what a committed backup
/// holds, so a failed or killed incremental loses nothing: the next one reads the same changes
/// again, and transactions the base already holds are skipped by their commit LSN.
/// </summary>
internal sealed class PgIncrementalBackup(TargetBackupContext context, NpgsqlConnectionStringBuilder builder)
{
    private const string MarkerPrefix = "psbackup";
    private readonly PostgreSqlTarget _target = (PostgreSqlTarget)context.Target;
    private string Server => $"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database}";

    public async Task<PgState> RunAsync(CancellationToken ct)
    {
        var baseState = context.Base!.Record.State?.ToObject<PgState>(Json.Serializer);
        if (baseState?.Slot == null || baseState.Publication == null)
            throw new InvalidBackupRequestException("NoBaseForTarget",
                $"Target '{_target.Name}': its base backup '{context.Base.Backup.Id}' was taken without incremental capture. Run a full backup.");
        var prefix = PgSlots.Prefix(context.RepositoryId, context.Collection, _target.Name);
        if (!baseState.Slot.StartsWith(prefix + "_", StringComparison.Ordinal))
            throw new InvalidBackupRequestException("NoBaseForTarget",
                $"Target '{_target.Name}': its base backup '{context.Base.Backup.Id}' was taken in another repository (it was copied here), and that repository's replication slot is not this one's to read. Run a full backup.");
        var baseLsn = NpgsqlLogSequenceNumber.Parse(baseState.Lsn);
        PgSchemaDocument schema;
        await using (var stream = await context.OpenBaseArtifactAsync(PgTableProvider.SchemaArtifact, ct).ConfigureAwait(false))
            schema = await PgTableProvider.ReadSchemaAsync(stream, ct).ConfigureAwait(false);

        await using var control = await PgConnections.OpenAsync(builder, ct).ConfigureAwait(false);
        await RequireSlotAsync(control, baseState.Slot, baseLsn, ct).ConfigureAwait(false);
        await RequireSameTypesAsync(control, schema, ct).ConfigureAwait(false);
        await PgSlots.DropOthersAsync(control, prefix, baseState.Slot, ct).ConfigureAwait(false);
        await using (var marker = new NpgsqlCommand("SELECT pg_logical_emit_message(true, @prefix, @id)", control))
        {
            marker.Parameters.AddWithValue("prefix", MarkerPrefix);
            marker.Parameters.AddWithValue("id", context.BackupId);
            await marker.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        var state = new PgState { Slot = baseState.Slot, Publication = baseState.Publication, Tables = baseState.Tables };
        // Row counts for restore drills carry forward from the base (when it recorded them).
        var counts = baseState.RowCheck is { Version: PgRowCheck.CurrentVersion } rowCheck ? new PgRowCounts(rowCheck, schema) : null;
        await context.WriteArtifactAsync(PgTableProvider.ChangesArtifact, async artifact =>
        {
            using var writer = new PgChangeWriter(artifact);
            state.Lsn = (await CaptureAsync(baseState, baseLsn, schema, writer, state, counts, ct).ConfigureAwait(false)).ToString();
            await writer.CompleteAsync(ct).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);
        state.RowCheck = counts?.ToCheck();

        // Sequences move without WAL-logged row changes a restore could replay: record where they stand.
        var sequences = schema.AllSequences.ToList();
        foreach (var value in await PgSchemaReader.ReadSequenceValuesAsync(control, sequences, ct).ConfigureAwait(false))
        foreach (var sequence in sequences.Where(s => s.Schema == value.Schema && s.Name == value.Name))
            (sequence.LastValue, sequence.IsCalled) = (value.LastValue, value.IsCalled);
        await context.WriteArtifactAsync(PgTableProvider.SchemaArtifact, s => s.WriteAsync(Json.ToBytes(schema), ct).AsTask(), ct).ConfigureAwait(false);
        return state;
    }

    /// <summary>The slot must still exist and not be confirmed past the base: otherwise changes the chain needs are gone.</summary>
    private async Task RequireSlotAsync(NpgsqlConnection control, string slot, NpgsqlLogSequenceNumber baseLsn, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT confirmed_flush_lsn::text, wal_status FROM pg_replication_slots WHERE slot_name = @slot", control);
        command.Parameters.AddWithValue("slot", slot);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await reader.ReadAsync(ct).ConfigureAwait(false))
            throw new PsBackupException("ReplicationSlotMissing", ErrorKind.InvalidData,
                $"{Server}: replication slot '{slot}', which captures target '{_target.Name}''s changes since backup '{context.Base!.Backup.Id}', no longer exists. Run a full backup.");
        var confirmed = NpgsqlLogSequenceNumber.Parse(reader.GetString(0));
        if (reader.GetString(1) == "lost" || confirmed > baseLsn)
            throw new PsBackupException("ReplicationSlotMissing", ErrorKind.InvalidData,
                $"{Server}: replication slot '{slot}' has moved past backup '{context.Base!.Backup.Id}' (confirmed {confirmed}, backup at {baseLsn}) or lost WAL; changes are missing. Run a full backup.");
    }

    /// <summary>
    /// The restore recreates the full's types and replays the changes' values into them: a type
    /// changed since (an enum label added, a domain's check altered) would make the chain
    /// unrestorable or different, so the incremental fails clearly instead.
    /// </summary>
    private async Task RequireSameTypesAsync(NpgsqlConnection control, PgSchemaDocument schema, CancellationToken ct)
    {
        foreach (var type in schema.Dependencies.Where(d => d.Kind is PgDependency.EnumKind or PgDependency.DomainKind or PgDependency.CompositeKind or PgDependency.RangeKind))
        {
            var now = await PgDependencyReader.FindAsync(control, type, type.Name, ct).ConfigureAwait(false);
            if (now?.Shape() != type.Shape())
                throw new PsBackupException("TableDefinitionChanged", ErrorKind.InvalidData,
                    $"{Server}: {type.Describe()}, which the tables use, {(now == null ? "no longer exists" : "changed")} since the full backup. Run a full backup.");
        }
    }

    private async Task<NpgsqlLogSequenceNumber> CaptureAsync(PgState baseState, NpgsqlLogSequenceNumber baseLsn, PgSchemaDocument schema,
        PgChangeWriter writer, PgState state, PgRowCounts? counts, CancellationToken ct)
    {
        var tables = schema.Tables.Select((t, i) => (t.QualifiedName, i)).ToDictionary(x => x.QualifiedName, x => x.i);
        var relations = new Dictionary<uint, int>(); // the stream's relation ids: a change then costs no name lookup
        await using var replication = new LogicalReplicationConnection(builder.ConnectionString);
        try
        {
            await replication.Open(ct).ConfigureAwait(false);
            replication.SetReplicationStatus(baseLsn); // what committed backups hold; never more
            var options = new PgOutputReplicationOptions(baseState.Publication!, PgOutputProtocolVersion.V1, binary: false, messages: true);
            var skipping = false;
            var sawMarker = false;
            var confirmed = false;
            await foreach (var message in replication.StartReplication(new PgOutputReplicationSlot(baseState.Slot!), options, ct, baseLsn).ConfigureAwait(false))
            {
                if (!confirmed)
                {
                    // Tell the server now (not at Npgsql's next 10 s tick) that the base's changes are safe:
                    // the slot then releases older WAL, and the next incremental decodes from here.
                    await replication.SendStatusUpdate(ct).ConfigureAwait(false);
                    confirmed = true;
                }
                switch (message)
                {
                    case BeginMessage begin:
                        skipping = begin.TransactionFinalLsn < baseLsn;
                        break;
                    case RelationMessage relation:
                        Check(relation, schema, tables);
                        relations[relation.RelationId] = Index(relation, tables);
                        break;
                    case InsertMessage insert when !skipping:
                        await writer.WriteAsync(Index(insert.Relation, relations, tables), 'I', null, insert.NewRow, ct).ConfigureAwait(false);
                        counts?.Insert(Index(insert.Relation, relations, tables));
                        state.Inserts++;
                        break;
                    case FullUpdateMessage update when !skipping:
                        await writer.WriteAsync(Index(update.Relation, relations, tables), 'U', update.OldRow, update.NewRow, ct).ConfigureAwait(false);
                        counts?.Update(Index(update.Relation, relations, tables));
                        state.Updates++;
                        break;
                    case IndexUpdateMessage update when !skipping:
                        await writer.WriteAsync(Index(update.Relation, relations, tables), 'U', update.Key, update.NewRow, ct).ConfigureAwait(false);
                        counts?.Update(Index(update.Relation, relations, tables));
                        state.Updates++;
                        break;
                    case UpdateMessage update when !skipping:
                        await writer.WriteAsync(Index(update.Relation, relations, tables), 'U', null, update.NewRow, ct).ConfigureAwait(false);
                        counts?.Update(Index(update.Relation, relations, tables));
                        state.Updates++;
                        break;
                    case FullDeleteMessage delete when !skipping:
                        await writer.WriteAsync(Index(delete.Relation, relations, tables), 'D', delete.OldRow, null, ct).ConfigureAwait(false);
                        counts?.Delete(Index(delete.Relation, relations, tables));
                        state.Deletes++;
                        break;
                    case KeyDeleteMessage delete when !skipping:
                        await writer.WriteAsync(Index(delete.Relation, relations, tables), 'D', delete.Key, null, ct).ConfigureAwait(false);
                        counts?.Delete(Index(delete.Relation, relations, tables));
                        state.Deletes++;
                        break;
                    case TruncateMessage truncate when !skipping:
                        foreach (var relation in truncate.Relations)
                        {
                            await writer.WriteTruncateAsync(Index(relation, relations, tables), ct).ConfigureAwait(false);
                            counts?.Truncate(Index(relation, relations, tables));
                        }
                        break;
                    case LogicalDecodingMessage { Prefix: MarkerPrefix } marker:
                        sawMarker |= await ReadAllAsync(marker.Data, ct).ConfigureAwait(false) == context.BackupId;
                        break;
                    case CommitMessage commit when sawMarker:
                        return commit.TransactionEndLsn;
                }
            }
            throw new BackupFailedException($"{Server}: the replication stream of slot '{baseState.Slot}' ended before this backup's marker.");
        }
        catch (PostgresException e)
        {
            throw new BackupFailedException($"{Server}: reading changes from replication slot '{baseState.Slot}' failed: {e.MessageText}", e);
        }
        finally
        {
            state.Rows = writer.Rows;
        }
    }

    /// <summary>A change's table: by the relation id the stream announced it with (pgoutput sends a relation before its first change), else by name.</summary>
    private int Index(RelationMessage relation, Dictionary<uint, int> relations, Dictionary<string, int> tables) =>
        relations.TryGetValue(relation.RelationId, out var index) ? index : Index(relation, tables);

    private int Index(RelationMessage relation, Dictionary<string, int> tables) =>
        tables.TryGetValue($"{relation.Namespace}.{relation.RelationName}", out var index)
            ? index
            : throw new BackupFailedException($"{Server}: the slot delivered changes of table '{relation.Namespace}.{relation.RelationName}', which this chain does not hold.");

    /// <summary>A table whose columns changed since the full cannot be replayed onto the full's definition.</summary>
    private void Check(RelationMessage relation, PgSchemaDocument schema, Dictionary<string, int> tables)
    {
        var table = schema.Tables[Index(relation, tables)];
        var now = relation.Columns.Select(c => c.ColumnName).ToList();
        var then = table.StoredColumns.Select(c => c.Name).ToList();
        if (!now.SequenceEqual(then))
            throw new PsBackupException("TableDefinitionChanged", ErrorKind.InvalidData,
                $"{Server}: table '{table.QualifiedName}' changed its columns since the full backup (now {string.Join(", ", now)}; then {string.Join(", ", then)}). Run a full backup.");
        // Schema artifacts of version 1 did not record type OIDs (0): only the names are compared there.
        var retyped = table.StoredColumns.Where((c, i) => c.TypeOid != 0 && relation.Columns[i].DataTypeId != c.TypeOid).FirstOrDefault();
        if (retyped != null)
            throw new PsBackupException("TableDefinitionChanged", ErrorKind.InvalidData,
                $"{Server}: column {retyped.Name} of table '{table.QualifiedName}' changed its type since the full backup (it was {retyped.Type}). Run a full backup.");
    }

    private static async Task<string> ReadAllAsync(Stream data, CancellationToken ct)
    {
        using var reader = new StreamReader(data, Encoding.UTF8, leaveOpen: true);
        return await reader.ReadToEndAsync(ct).ConfigureAwait(false);
    }
}
