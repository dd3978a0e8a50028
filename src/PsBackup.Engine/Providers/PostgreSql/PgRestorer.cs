using System.Diagnostics;
using Npgsql;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>
/// Restores a PostgreSQL target as of one backup: the full's tables (created when missing,
/// loaded by binary COPY in parallel — a created table part by part — then constrained and
/// indexed), then every incremental of the chain replayed in order in one transaction, then the
/// sequences. Nothing is written until
/// every destination table has been checked: non-empty tables are refused without -Force. On
/// failure, tables this restore created are dropped again.
/// </summary>
internal sealed class PgRestorer(TargetRestoreContext context)
{
    private readonly PostgreSqlTarget _target = (PostgreSqlTarget)context.Target;
    private readonly string _prefix = context.OptionsOr<PgTableRestoreOptions>().TablePrefix ?? "";

    public async Task<RestoreResult> RunAsync(CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var backups = context.Chain.Where(b => b.Targets.Exists(t => t.Name == _target.Name && t.Status == TargetStatus.Complete)).ToList();
        if (backups.Count == 0 || backups[0].Type != BackupType.Full)
            throw new IntegrityException($"Backup '{context.Head.Id}' has no full backup of target '{_target.Name}' at the start of its chain.");
        PgSchemaDocument schema, latest;
        await using (var stream = await context.OpenArtifactAsync(backups[0].Id, PgTableProvider.SchemaArtifact, ct).ConfigureAwait(false))
            schema = await PgTableProvider.ReadSchemaAsync(stream, ct).ConfigureAwait(false);
        await using (var stream = await context.OpenArtifactAsync(backups[^1].Id, PgTableProvider.SchemaArtifact, ct).ConfigureAwait(false))
            latest = await PgTableProvider.ReadSchemaAsync(stream, ct).ConfigureAwait(false);

        var builder = PgDestination.Resolve(_target, context.Destination, context.Credential);
        builder.SearchPath = "pg_catalog"; // the recorded types and expressions are schema-qualified
        var where = $"{builder.Host}:{builder.Port}/{builder.Database}";
        await using var control = await PgConnections.OpenAsync(builder, ct).ConfigureAwait(false);
        var plans = await PlanAsync(control, schema.Tables, where, ct).ConfigureAwait(false);

        var created = new List<PgDdl>();
        long bytes = 0;
        try
        {
            // Missing tables are created first (dropped again on failure), so their parts can load in
            // parallel; an existing table is emptied and loaded in one transaction, all or nothing.
            foreach (var plan in plans.Where(p => !p.Exists))
            {
                created.Add(plan.Ddl);
                await using var create = await control.BeginTransactionAsync(ct).ConfigureAwait(false);
                foreach (var statement in plan.Ddl.CreateStatements())
                    await control.ExecuteAsync(statement, ct).ConfigureAwait(false);
                await create.CommitAsync(ct).ConfigureAwait(false);
            }
            var loads = plans.SelectMany(p => p.Exists
                    ? [(Plan: p, Parts: p.Table.Data)]
                    : p.Table.Data.Select(part => (Plan: p, Parts: new List<PgDataPart> { part })))
                .OrderByDescending(x => x.Plan.Table.Bytes / x.Plan.Table.Data.Count * x.Parts.Count);
            await Workers.RunAsync(loads, context.ThrottleLimit, async (load, token) =>
                Interlocked.Add(ref bytes, await LoadAsync(builder, backups[0].Id, load.Plan, load.Parts, token).ConfigureAwait(false)), ct).ConfigureAwait(false);
            await Workers.RunAsync(plans.Where(p => !p.Exists).OrderByDescending(p => p.Table.Bytes), context.ThrottleLimit, async (plan, token) =>
            {
                await using var connection = await PgConnections.OpenAsync(builder, token).ConfigureAwait(false);
                foreach (var statement in plan.Ddl.IndexStatements())
                    await connection.ExecuteAsync(statement, token).ConfigureAwait(false);
            }, ct).ConfigureAwait(false);

            await using var transaction = await control.BeginTransactionAsync(ct).ConfigureAwait(false);
            if (backups.Count > 1)
            {
                var replayer = new PgChangeReplayer(control, schema.Tables, _prefix);
                await replayer.PrepareAsync(ct).ConfigureAwait(false);
                foreach (var incremental in backups.Skip(1))
                {
                    await using var changes = await context.OpenArtifactAsync(incremental.Id, PgTableProvider.ChangesArtifact, ct).ConfigureAwait(false);
                    await replayer.ApplyAsync(changes, incremental.Id, ct).ConfigureAwait(false);
                }
            }
            foreach (var plan in plans)
            foreach (var statement in plan.Ddl.SequenceStatements(SequenceValues(latest, plan.Table)))
                await control.ExecuteAsync(statement, ct).ConfigureAwait(false);
            await transaction.CommitAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await DropQuietlyAsync(builder, created).ConfigureAwait(false);
            if (e is OperationCanceledException) throw;
            throw PgConnections.Translate(e, builder) is PsBackupException typed ? typed
                : new RestoreFailedException($"Restore of target '{_target.Name}' into {where} failed: {e.Message}" +
                    (created.Count > 0 ? " The tables it had created were dropped again." : ""), e);
        }
        return new RestoreResult
        {
            Target = _target.Name,
            Destination = $"{where}{(_prefix.Length > 0 ? $" (prefix {_prefix})" : "")}",
            ItemCount = plans.Count,
            SizeBytes = bytes,
            Duration = clock.Elapsed,
        };
    }

    private sealed record TablePlan(PgTableDefinition Table, PgDdl Ddl, bool Exists, bool HasRows);

    /// <summary>Finds which destination tables exist and hold rows, and refuses before writing anything.</summary>
    private async Task<List<TablePlan>> PlanAsync(NpgsqlConnection control, List<PgTableDefinition> tables, string where, CancellationToken ct)
    {
        var plans = new List<TablePlan>();
        foreach (var table in tables)
        {
            var ddl = new PgDdl(table, _prefix);
            await using var command = new NpgsqlCommand("SELECT to_regclass(@name) IS NOT NULL", control);
            command.Parameters.AddWithValue("name", ddl.QualifiedName);
            var exists = (bool)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
            var hasRows = false;
            if (exists)
            {
                hasRows = await control.ScalarAsync<bool>($"SELECT EXISTS (SELECT 1 FROM {ddl.QualifiedName})", ct).ConfigureAwait(false);
            }
            plans.Add(new TablePlan(table, ddl, exists, hasRows));
        }
        var full = plans.Where(p => p.HasRows).Select(p => p.Ddl.QualifiedName).ToList();
        if (full.Count > 0 && !context.Force)
            throw new RestoreConflictException(
                $"{where}: {string.Join(", ", full)} already hold rows. Use -Force to replace their rows, restore into another database (-Destination) or next to them (-TablePrefix). Nothing was changed.");
        foreach (var schema in plans.Where(p => !p.Exists).Select(p => p.Table.Schema).Distinct())
            await control.ExecuteAsync($"CREATE SCHEMA IF NOT EXISTS {PgSql.Ident(schema)}", ct).ConfigureAwait(false);
        return plans;
    }

    /// <summary>Parts of one table in one transaction, emptying an existing table with rows (-Force) first.</summary>
    private async Task<long> LoadAsync(NpgsqlConnectionStringBuilder builder, string fullId, TablePlan plan, List<PgDataPart> parts, CancellationToken ct)
    {
        await using var connection = await PgConnections.OpenAsync(builder, ct).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        if (plan.HasRows)
            await connection.ExecuteAsync($"TRUNCATE {plan.Ddl.QualifiedName}", ct).ConfigureAwait(false);
        var columns = PgSql.ColumnList(plan.Table.StoredColumns.Select(c => c.Name));
        long bytes = 0;
        var buffer = new byte[1 << 18];
        foreach (var part in parts)
        {
            await using var data = await context.OpenArtifactAsync(fullId, part.Artifact, ct).ConfigureAwait(false);
            await using var copy = await connection.BeginRawBinaryCopyAsync($"COPY {plan.Ddl.QualifiedName} ({columns}) FROM STDIN (FORMAT binary)", ct).ConfigureAwait(false);
            int n;
            while ((n = await data.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                await copy.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                bytes += n;
            }
        }
        await transaction.CommitAsync(ct).ConfigureAwait(false);
        return bytes;
    }

    private static IEnumerable<PgSequenceValue> SequenceValues(PgSchemaDocument latest, PgTableDefinition table) =>
        latest.Tables.Where(t => t.QualifiedName == table.QualifiedName).SelectMany(t => t.Sequences)
            .Select(s => new PgSequenceValue(s.Schema, s.Name, s.LastValue, s.IsCalled));

    private static async Task DropQuietlyAsync(NpgsqlConnectionStringBuilder builder, List<PgDdl> created)
    {
        if (created.Count == 0) return;
        try
        {
            await using var connection = await PgConnections.OpenAsync(builder, CancellationToken.None).ConfigureAwait(false);
            foreach (var ddl in created)
                await connection.ExecuteAsync($"DROP TABLE IF EXISTS {ddl.QualifiedName}", CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or PsBackupException)
        {
            // The restore's own error is what the user needs; leftover tables are named in it.
        }
    }
}
