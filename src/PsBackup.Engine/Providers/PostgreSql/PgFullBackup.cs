using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>
/// A full backup: every table of the target copied at one consistent point. The snapshot is
/// exported — by the replication slot as it is created, when the collection takes incrementals,
/// so the slot's first change is exactly the first one the copy misses — and shared by parallel
/// workers, each streaming one table's binary COPY into its own artifact.
/// </summary>
internal sealed class PgFullBackup(TargetBackupContext context, NpgsqlConnectionStringBuilder builder)
{
    private const int SlotAttempts = 3;
    private readonly PostgreSqlTarget _target = (PostgreSqlTarget)context.Target;
    private string Server => $"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database}";

    public async Task<PgState> RunAsync(CancellationToken ct)
    {
        await using var control = await PgConnections.OpenAsync(builder, ct).ConfigureAwait(false);
        await PgCatalog.RequireVersionAsync(control, Server, ct).ConfigureAwait(false);
        if (!context.IncrementalEnabled)
        {
            await using var transaction = await control.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
            var snapshot = await control.ScalarAsync<string>("SELECT pg_export_snapshot()", ct).ConfigureAwait(false);
            var lsn = await control.ScalarAsync<string>("SELECT pg_current_wal_lsn()::text", ct).ConfigureAwait(false);
            var schema = await ReadSchemaAsync(snapshot, ct).ConfigureAwait(false);
            return await CopyAsync(schema, snapshot, new PgState { Lsn = lsn }, ct).ConfigureAwait(false);
        }

        await PgSlots.RequireLogicalWalAsync(control, Server, ct).ConfigureAwait(false);
        var prefix = PgSlots.Prefix(context.RepositoryId, context.Collection, _target.Name);
        var keep = context.Previous?.Record.State?.ToObject<PgState>(Json.Serializer)?.Slot;
        await PgSlots.DropOthersAsync(control, prefix, keep, ct).ConfigureAwait(false);

        // The publication must exist before the slot (decoding reads it as of each change), so the
        // table set is settled first and checked again inside the snapshot.
        var planned = await PgSchemaReader.ReadAsync(control, _target, context.Warn, ct).ConfigureAwait(false);
        RequireKeys(planned);
        for (var attempt = 1; ; attempt++)
        {
            await PgSlots.PublishAsync(control, prefix, planned, ct).ConfigureAwait(false);
            var slotName = PgSlots.NewSlotName(prefix);
            await using var replication = new LogicalReplicationConnection(builder.ConnectionString);
            try
            {
                await replication.Open(ct).ConfigureAwait(false);
                var slot = await replication.CreatePgOutputReplicationSlot(slotName, temporarySlot: false,
                    slotSnapshotInitMode: LogicalSlotSnapshotInitMode.Export, cancellationToken: ct).ConfigureAwait(false);
                var schema = await ReadSchemaAsync(slot.SnapshotName!, ct).ConfigureAwait(false);
                if (SameTables(schema.Tables, planned))
                {
                    var state = new PgState { Slot = slotName, Publication = prefix, Lsn = slot.ConsistentPoint.ToString() };
                    // The exported snapshot lives as long as the replication connection does nothing else.
                    return await CopyAsync(schema, slot.SnapshotName!, state, ct).ConfigureAwait(false);
                }
                if (attempt == SlotAttempts)
                    throw new BackupFailedException($"{Server}: the tables matching target '{_target.Name}' kept changing while the backup started; try again.");
                planned = schema.Tables;
                RequireKeys(planned);
            }
            catch (Exception e)
            {
                await replication.DisposeAsync().ConfigureAwait(false);
                await DropSlotQuietlyAsync(control, slotName).ConfigureAwait(false);
                throw PgConnections.Translate(e, builder);
            }
            await replication.DisposeAsync().ConfigureAwait(false);
            await DropSlotQuietlyAsync(control, slotName).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Incrementals find changed rows by the replica identity; without one PostgreSQL cannot even
    /// publish updates. A partitioned table holds no rows: its partitions are checked.
    /// </summary>
    private void RequireKeys(List<PgTableDefinition> tables)
    {
        var keyless = tables.Where(t => t.KeyColumns.Count == 0 && t.PartitionKey == null).Select(t => t.QualifiedName).ToList();
        if (keyless.Count > 0)
            throw new PsBackupException("TableWithoutKey", ErrorKind.InvalidArgument,
                $"{Server}: incremental backups need a primary key (or a replica identity) on every table; these have none: {string.Join(", ", keyless)}. " +
                "Add a primary key, or run ALTER TABLE … REPLICA IDENTITY FULL, or leave these tables out of the target.");
    }

    private static bool SameTables(List<PgTableDefinition> a, List<PgTableDefinition> b) =>
        a.Select(t => t.QualifiedName).Order().SequenceEqual(b.Select(t => t.QualifiedName).Order());

    private async Task<PgSchemaDocument> ReadSchemaAsync(string snapshot, CancellationToken ct)
    {
        await using var connection = await OpenInSnapshotAsync(snapshot, ct).ConfigureAwait(false);
        var schema = await PgSchemaReader.ReadDocumentAsync(connection, _target, context.Warn, ct).ConfigureAwait(false);
        if (schema.Tables.Count == 0)
            throw new TargetUnavailableException($"{Server}: target '{_target.Name}' matches no table.");
        return schema;
    }

    private async Task<PgState> CopyAsync(PgSchemaDocument schema, string snapshot, PgState state, CancellationToken ct)
    {
        var tables = schema.Tables;
        for (var i = 0; i < tables.Count; i++) tables[i].Data = Parts(tables[i], $"table-{i + 1:D4}");
        await context.WriteArtifactAsync(PgTableProvider.SchemaArtifact, s => s.WriteAsync(Json.ToBytes(schema), ct).AsTask(), ct).ConfigureAwait(false);
        var parts = tables.SelectMany(t => t.Data.Select(part => (Table: t, Part: part)))
            .OrderByDescending(x => x.Table.Bytes / x.Table.Data.Count).ToList();
        var progress = new ProgressReporter(context.Progress, $"Backing up '{_target.Name}'", tables.Sum(t => t.Bytes), parts.Count);
        // Each table's rows are counted and hashed as they stream past (PgRowHash): what restore drills compare with.
        var rows = tables.Where(t => t.Data.Count > 0).ToDictionary(t => t.QualifiedName, t => new PgRowHash(t.CopyFormat == "text"));
        await Workers.RunAsync(parts, context.ThrottleLimit, async (work, token) =>
        {
            await using var connection = await OpenInSnapshotAsync(snapshot, token).ConfigureAwait(false);
            var hash = new PgRowHash(work.Table.CopyFormat == "text");
            await context.WriteArtifactAsync(work.Part.Artifact, async artifact =>
            {
                if (work.Table.CopyFormat == "text")
                {
                    await using var hashing = new PgRowHashStream(artifact, hash);
                    await PgTextCopy.ExportAsync(connection, CopyCommand(work.Table, work.Part), hashing, n => progress.Add(n, work.Table.QualifiedName), token).ConfigureAwait(false);
                    return;
                }
                await using var copy = await connection.BeginRawBinaryCopyAsync(CopyCommand(work.Table, work.Part), token).ConfigureAwait(false);
                var buffer = new byte[1 << 18];
                while (true)
                {
                    token.ThrowIfCancellationRequested();
                    var filled = Fill(copy, buffer);
                    if (filled == 0) break;
                    hash.Append(buffer.AsSpan(0, filled));
                    await artifact.WriteAsync(buffer.AsMemory(0, filled), token).ConfigureAwait(false);
                    progress.Add(filled, work.Table.QualifiedName);
                }
            }, token).ConfigureAwait(false);
            hash.Complete($"Table {work.Table.QualifiedName}");
            lock (rows) rows[work.Table.QualifiedName].Add(hash);
            progress.ItemDone(work.Table.QualifiedName);
        }, ct).ConfigureAwait(false);
        progress.Complete();
        state.Tables = tables.Select(t => t.QualifiedName).ToList();
        state.RowCheck = new PgRowCheck
        {
            Tables = [.. rows.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => new PgTableRows { Table = r.Key, Rows = r.Value.Rows, Sum = PgRowHash.Format(r.Value.Sum) })],
        };
        state.Bytes = progress.BytesDone;
        return state;
    }

    /// <summary>
    /// Splits a large table into block ranges of about <see cref="PartBytes"/>, read by parallel
    /// workers (a TID range scan reads only its blocks). The last part is open-ended: blocks added
    /// since the size was taken hold no row the snapshot sees, but nothing depends on that.
    /// </summary>
    private static List<PgDataPart> Parts(PgTableDefinition table, string artifact)
    {
        if (table.PartitionKey != null) return []; // the rows are in the partitions
        var parts = BlockRanges(table.Bytes);
        if (parts.Count == 1) parts[0].Artifact = artifact;
        else for (var i = 0; i < parts.Count; i++) parts[i].Artifact = $"{artifact}-{i + 1:D3}";
        return parts;
    }

    /// <summary>Block ranges of about <see cref="PartBytes"/> covering a table of <paramref name="bytes"/>, the last open-ended (one part: the whole table).</summary>
    internal static List<PgDataPart> BlockRanges(long bytes)
    {
        var blocks = bytes / BlockSize;
        var count = (int)Math.Clamp(bytes / PartBytes, 1, MaxParts);
        if (count == 1) return [new PgDataPart()];
        return Enumerable.Range(0, count).Select(i => new PgDataPart
        {
            FirstBlock = blocks * i / count,
            EndBlock = i == count - 1 ? null : blocks * (i + 1) / count,
        }).ToList();
    }

    private const long BlockSize = 8192;
    /// <summary>Target size of a part; tests lower it to split small tables.</summary>
    internal static long PartBytes { get; set; } = 128L << 20;
    private const int MaxParts = 64;

    /// <summary>
    /// Fills <paramref name="buffer"/> from a COPY stream; 0 at its end. PostgreSQL sends one
    /// message per row and a read returns at most one: synchronous reads (cheap once the socket
    /// has data) into a large buffer, rather than one await per row.
    /// </summary>
    internal static int Fill(Stream copy, byte[] buffer)
    {
        var filled = 0;
        int n;
        while (filled < buffer.Length && (n = copy.Read(buffer, filled, buffer.Length - filled)) > 0)
            filled += n;
        return filled;
    }

    /// <summary>The COPY that reads one part of a table (all of it, or a block range), in the table's COPY format.</summary>
    internal static string CopyCommand(PgTableDefinition table, PgDataPart part)
    {
        var columns = PgSql.ColumnList(table.StoredColumns.Select(c => c.Name));
        var name = PgSql.Table(table.Schema, table.Name);
        var format = table.CopyFormat ?? "binary";
        if (part.FirstBlock == 0 && part.EndBlock == null)
            return $"COPY {name} ({columns}) TO STDOUT (FORMAT {format})";
        var range = $"ctid >= '({part.FirstBlock},0)'::pg_catalog.tid" + (part.EndBlock is { } end ? $" AND ctid < '({end},0)'::pg_catalog.tid" : "");
        return $"COPY (SELECT {columns} FROM ONLY {name} WHERE {range}) TO STDOUT (FORMAT {format})";
    }

    private async Task<NpgsqlConnection> OpenInSnapshotAsync(string snapshot, CancellationToken ct)
    {
        var connection = await PgConnections.OpenAsync(builder, ct).ConfigureAwait(false);
        try
        {
            await connection.ExecuteAsync(
                $"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT {PgSql.Literal(snapshot)}", ct).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Best effort: a slot left behind is dropped by the next backup of the target.</summary>
    private async Task DropSlotQuietlyAsync(NpgsqlConnection control, string slot)
    {
        try
        {
            await PgSlots.DropAsync(control, slot, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            context.Warn($"could not drop replication slot '{slot}' ({e.Message}); the next backup drops it");
        }
    }
}
