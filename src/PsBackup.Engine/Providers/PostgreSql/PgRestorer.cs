using System.Diagnostics;
using Npgsql;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;
using TablePlan = PsBackup.Engine.Providers.PostgreSql.PgRestorePlan.TablePlan;

namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>
/// Restores a PostgreSQL target as of one backup, in pg_restore's order: the missing
/// dependencies (schemas, extensions, types, functions, sequences), the missing tables (a
/// partition attached to its parent), the full's rows by COPY in parallel (a created table part by
/// part), constraints and indexes; then, in one transaction, every incremental of the chain
/// replayed in order, the sequences' positions, foreign keys, triggers, comments and (on request)
/// owners and privileges. Nothing is written until the whole destination has been checked
/// (<see cref="PgRestorePlan"/>). On failure, what this restore created is dropped again.
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

        var builder = PgTableProvider.Session(PgDestination.Resolve(_target, context.Destination, context.Credential));
        var where = $"{builder.Host}:{builder.Port}/{builder.Database}";
        await using var control = await PgConnections.OpenAsync(builder, ct).ConfigureAwait(false);
        var plan = await PgRestorePlan.CreateAsync(control, schema, _prefix, context, where, ct).ConfigureAwait(false);

        var createdTables = new List<PgDdl>();
        var createdDependencies = new List<PgDependencyDdl>();
        long bytes = 0;
        try
        {
            await CreateDependenciesAsync(control, plan, createdDependencies, ct).ConfigureAwait(false);
            // Missing tables are created first (dropped again on failure), parents before their
            // partitions, so their parts can load in parallel; existing tables are emptied and loaded
            // in one transaction each, all or nothing.
            foreach (var table in plan.Tables.Where(p => !p.Exists).OrderBy(p => Depth(plan, p.Table)))
            {
                await using var create = await control.BeginTransactionAsync(ct).ConfigureAwait(false);
                foreach (var statement in table.Ddl.CreateStatements())
                    await control.ExecuteAsync(statement, ct).ConfigureAwait(false);
                await create.CommitAsync(ct).ConfigureAwait(false);
                createdTables.Add(table.Ddl);
            }
            await Workers.RunAsync(Loads(plan), context.ThrottleLimit, async (load, token) =>
                Interlocked.Add(ref bytes, await LoadAsync(builder, backups[0].Id, load, plan.QuietTriggers, token).ConfigureAwait(false)), ct).ConfigureAwait(false);
            await BuildIndexesAsync(builder, plan, ct).ConfigureAwait(false);
            await FinishAsync(control, plan, backups, schema, latest, ct).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await DropQuietlyAsync(builder, createdTables, createdDependencies).ConfigureAwait(false);
            if (e is OperationCanceledException) throw;
            throw PgConnections.Translate(e, builder) is PsBackupException typed ? typed
                : new RestoreFailedException($"Restore of target '{_target.Name}' into {where} failed: {e.Message}" +
                    (createdTables.Count + createdDependencies.Count > 0 ? " What it had created was dropped again." : ""), e);
        }
        return new RestoreResult
        {
            Target = _target.Name,
            Destination = $"{where}{(_prefix.Length > 0 ? $" (prefix {_prefix})" : "")}",
            ItemCount = plan.Tables.Count,
            SizeBytes = bytes,
            Duration = clock.Elapsed,
        };
    }

    /// <summary>The missing dependencies in one transaction, with their comments and (on request) owners and privileges.</summary>
    private async Task CreateDependenciesAsync(NpgsqlConnection control, PgRestorePlan plan, List<PgDependencyDdl> created, CancellationToken ct)
    {
        if (plan.Missing.Count == 0) return;
        await using var transaction = await control.BeginTransactionAsync(ct).ConfigureAwait(false);
        // Function bodies may name tables that do not exist yet (pg_dump sets the same).
        await control.ExecuteAsync("SET LOCAL check_function_bodies = false", ct).ConfigureAwait(false);
        foreach (var dependency in plan.Missing)
        {
            foreach (var statement in dependency.CreateStatements().Concat(dependency.CommentStatements()))
                await control.ExecuteAsync(statement, ct).ConfigureAwait(false);
            if (context.OptionsOr<PgTableRestoreOptions>().IncludePrivileges)
                foreach (var statement in dependency.PrivilegeStatements())
                    await control.ExecuteAsync(statement, ct).ConfigureAwait(false);
        }
        await transaction.CommitAsync(ct).ConfigureAwait(false);
        created.AddRange(plan.Missing);
    }

    private sealed record Load(List<(TablePlan Plan, List<PgDataPart> Parts)> Tables, long Bytes);

    /// <summary>
    /// A created table part by part (parallel, no constraints yet); an existing table whole, in one
    /// transaction that empties it first. Existing tables with triggers or foreign keys load together
    /// in one transaction: TRUNCATE must name every table of a foreign key at once.
    /// </summary>
    private static IEnumerable<Load> Loads(PgRestorePlan plan)
    {
        var withRows = plan.Tables.Where(p => p.Table.Data.Count > 0).ToList(); // a partitioned table's rows are in its partitions
        var loads = withRows.Where(p => !p.Exists)
            .SelectMany(p => p.Table.Data.Select(part => new Load([(p, [part])], p.Table.Bytes / p.Table.Data.Count)))
            .ToList();
        var existing = withRows.Where(p => p.Exists).ToList();
        if (plan.QuietTriggers && existing.Count > 0)
            loads.Add(new Load(existing.Select(p => (p, p.Table.Data)).ToList(), existing.Sum(p => p.Table.Bytes)));
        else
            loads.AddRange(existing.Select(p => new Load([(p, p.Table.Data)], p.Table.Bytes)));
        return loads.OrderByDescending(l => l.Bytes);
    }

    private async Task<long> LoadAsync(NpgsqlConnectionStringBuilder builder, string fullId, Load load, bool quietTriggers, CancellationToken ct)
    {
        await using var connection = await PgConnections.OpenAsync(builder, ct).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        if (quietTriggers && load.Tables.Exists(t => t.Plan.Exists))
            await connection.ExecuteAsync("SET LOCAL session_replication_role = replica", ct).ConfigureAwait(false);
        var truncate = load.Tables.Where(t => t.Plan.HasRows).Select(t => t.Plan.Ddl.QualifiedName).ToList();
        if (truncate.Count > 0)
            await connection.ExecuteAsync($"TRUNCATE {string.Join(", ", truncate)}", ct).ConfigureAwait(false);
        long bytes = 0;
        var buffer = new byte[1 << 18];
        foreach (var (plan, parts) in load.Tables)
        {
            var columns = PgSql.ColumnList(plan.Table.StoredColumns.Select(c => c.Name));
            foreach (var part in parts)
            {
                await using var data = await context.OpenArtifactAsync(fullId, part.Artifact, ct).ConfigureAwait(false);
                if (plan.Table.CopyFormat == "text")
                {
                    bytes += await PgTextCopy.ImportAsync(connection, $"COPY {plan.Ddl.QualifiedName} ({columns}) FROM STDIN (FORMAT text)", data, ct).ConfigureAwait(false);
                    continue;
                }
                await using var copy = await connection.BeginRawBinaryCopyAsync(
                    $"COPY {plan.Ddl.QualifiedName} ({columns}) FROM STDIN (FORMAT binary)", ct).ConfigureAwait(false);
                int n;
                while ((n = await data.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                {
                    await copy.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                    bytes += n;
                }
            }
        }
        await transaction.CommitAsync(ct).ConfigureAwait(false);
        return bytes;
    }

    /// <summary>
    /// Constraints and indexes of the created tables, in parallel across partition trees. Within a
    /// tree, one connection goes from the leaves up (a partition's check constraint then merges with
    /// its parent's) and attaches the partitions' indexes to their parents' last, as pg_dump does.
    /// </summary>
    private async Task BuildIndexesAsync(NpgsqlConnectionStringBuilder builder, PgRestorePlan plan, CancellationToken ct)
    {
        var trees = plan.Tables.Where(p => !p.Exists).GroupBy(p => Root(plan, p.Table).QualifiedName)
            .Select(tree => tree.OrderByDescending(p => Depth(plan, p.Table)).ToList())
            .OrderByDescending(tree => tree.Sum(p => p.Table.Bytes));
        await Workers.RunAsync(trees, context.ThrottleLimit, async (tree, token) =>
        {
            await using var connection = await PgConnections.OpenAsync(builder, token).ConfigureAwait(false);
            foreach (var statement in tree.SelectMany(p => p.Ddl.IndexStatements()).Concat(tree.SelectMany(p => p.Ddl.AttachStatements())))
                await connection.ExecuteAsync(statement, token).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// One transaction: the incrementals, the sequences, then what must not act during the load —
    /// foreign keys and triggers — and comments and privileges.
    /// </summary>
    private async Task FinishAsync(NpgsqlConnection control, PgRestorePlan plan, List<BackupManifest> backups, PgSchemaDocument schema, PgSchemaDocument latest, CancellationToken ct)
    {
        await using var transaction = await control.BeginTransactionAsync(ct).ConfigureAwait(false);
        if (plan.QuietTriggers)
            await control.ExecuteAsync("SET LOCAL session_replication_role = replica", ct).ConfigureAwait(false);
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
        var created = plan.Tables.Where(p => !p.Exists).Select(p => p.Ddl).ToList();
        var statements = plan.Tables.SelectMany(p => p.Ddl.SequenceStatements(SequenceValues(latest, p.Table)))
            .Concat(plan.Dependencies.Select(d => d.SequenceStatement(LatestSequence(latest, d.Dependency))).OfType<string>())
            .Concat(created.SelectMany(t => t.ForeignKeyStatements(key => IncludeKey(plan, key))))
            .Concat(created.SelectMany(t => t.TriggerStatements()))
            .Concat(created.SelectMany(t => t.CommentStatements()))
            .Concat(context.OptionsOr<PgTableRestoreOptions>().IncludePrivileges ? created.SelectMany(t => t.PrivilegeStatements()) : []);
        foreach (var statement in statements)
            await control.ExecuteAsync(statement, ct).ConfigureAwait(false);
        await transaction.CommitAsync(ct).ConfigureAwait(false);
    }

    private static bool IncludeKey(PgRestorePlan plan, PgForeignKey key) =>
        plan.Tables.Exists(p => p.Table.QualifiedName == key.References.ToString()) || plan.ExistingExternalTables.Contains(key.References.ToString());

    private static PgTableDefinition? ParentOf(PgRestorePlan plan, PgTableDefinition table) =>
        table.PartitionOf is { } parent ? plan.Tables.Find(p => p.Table.QualifiedName == parent.ToString())?.Table : null;

    private static int Depth(PgRestorePlan plan, PgTableDefinition table) => ParentOf(plan, table) is { } parent ? Depth(plan, parent) + 1 : 0;

    private static PgTableDefinition Root(PgRestorePlan plan, PgTableDefinition table) => ParentOf(plan, table) is { } parent ? Root(plan, parent) : table;

    private static IEnumerable<PgSequenceValue> SequenceValues(PgSchemaDocument latest, PgTableDefinition table) =>
        latest.Tables.Where(t => t.QualifiedName == table.QualifiedName).SelectMany(t => t.Sequences)
            .Select(s => new PgSequenceValue(s.Schema, s.Name, s.LastValue, s.IsCalled));

    private static PgSequence? LatestSequence(PgSchemaDocument latest, PgDependency dependency) =>
        latest.Dependencies.FirstOrDefault(d => d.Sequence != null && d.Schema == dependency.Schema && d.Name == dependency.Name)?.Sequence;

    /// <summary>Tables first (one statement: foreign keys among them and partitions need no order), then dependencies in reverse.</summary>
    private static async Task DropQuietlyAsync(NpgsqlConnectionStringBuilder builder, List<PgDdl> tables, List<PgDependencyDdl> dependencies)
    {
        if (tables.Count + dependencies.Count == 0) return;
        try
        {
            await using var connection = await PgConnections.OpenAsync(builder, CancellationToken.None).ConfigureAwait(false);
            var statements = new List<string>();
            if (tables.Count > 0) statements.Add($"DROP TABLE IF EXISTS {string.Join(", ", tables.Select(t => t.QualifiedName))}");
            statements.AddRange(Enumerable.Reverse(dependencies).Select(d => d.DropStatement()));
            foreach (var statement in statements)
            {
                try
                {
                    await connection.ExecuteAsync(statement, CancellationToken.None).ConfigureAwait(false);
                }
                catch (PostgresException)
                {
                    // Still in use (by something else at the destination): leave it.
                }
            }
        }
        catch (Exception e) when (e is NpgsqlException or PsBackupException)
        {
            // The restore's own error is what the user needs.
        }
    }
}
