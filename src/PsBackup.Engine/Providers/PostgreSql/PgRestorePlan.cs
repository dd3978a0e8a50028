using Npgsql;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>
/// What a restore will do at its destination, worked out before anything is written: which
/// tables exist and hold rows (refused without -Force), which dependencies are missing, which
/// exist identically (skipped) and which exist differently (refused), whether the roles that
/// -IncludePrivileges names exist, which foreign keys to tables outside the collection can be
/// restored, and whether existing tables have triggers or foreign keys that must stay quiet while
/// their rows are replaced.
/// </summary>
internal sealed class PgRestorePlan
{
    public sealed record TablePlan(PgDdl Ddl, bool Exists, bool HasRows)
    {
        public PgTableDefinition Table => Ddl.Table;
    }

    public List<TablePlan> Tables { get; } = [];

    /// <summary>Dependencies to create, in order.</summary>
    public List<PgDependencyDdl> Missing { get; } = [];

    /// <summary>Every dependency with its destination name (for sequence positions).</summary>
    public List<PgDependencyDdl> Dependencies { get; } = [];

    /// <summary>Tables outside the collection that foreign keys reference and that exist at the destination.</summary>
    public HashSet<string> ExistingExternalTables { get; } = [];

    /// <summary>Existing destination tables have triggers (user or foreign key): loads and replay run with session_replication_role = replica.</summary>
    public bool QuietTriggers { get; private set; }

    public static async Task<PgRestorePlan> CreateAsync(NpgsqlConnection control, PgSchemaDocument schema, string prefix, TargetRestoreContext context, string where, CancellationToken ct)
    {
        var plan = new PgRestorePlan();
        var renames = new PgRenames(schema.Tables, schema.AllSequences, prefix);
        foreach (var table in schema.Tables)
        {
            var ddl = new PgDdl(table, prefix, renames);
            var exists = await control.ScalarAsync<bool>($"SELECT to_regclass({PgSql.Literal(ddl.QualifiedName)}) IS NOT NULL", ct).ConfigureAwait(false);
            var hasRows = exists && await control.ScalarAsync<bool>($"SELECT EXISTS (SELECT 1 FROM {ddl.QualifiedName})", ct).ConfigureAwait(false);
            plan.Tables.Add(new TablePlan(ddl, exists, hasRows));
        }
        var full = plan.Tables.Where(p => p.HasRows && p.Table.PartitionKey == null).Select(p => p.Ddl.QualifiedName).ToList();
        if (full.Count > 0 && !context.Force)
            throw new RestoreConflictException(
                $"{where}: {string.Join(", ", full)} already hold rows. Use -Force to replace their rows, restore into another database (-Destination) or next to them (-TablePrefix). Nothing was changed.");

        await plan.PlanDependenciesAsync(control, schema, prefix, context, where, ct).ConfigureAwait(false);
        await plan.PlanExternalKeysAsync(control, schema, renames, context, ct).ConfigureAwait(false);
        if (context.OptionsOr<PgTableRestoreOptions>().IncludePrivileges) await plan.RequireRolesAsync(control, where, ct).ConfigureAwait(false);
        await plan.PlanTriggersAsync(control, where, ct).ConfigureAwait(false);
        return plan;
    }

    private async Task PlanDependenciesAsync(NpgsqlConnection control, PgSchemaDocument schema, string prefix, TargetRestoreContext context, string where, CancellationToken ct)
    {
        // Version 1 documents recorded no dependencies: at least the tables' schemas.
        var dependencies = schema.Dependencies.Count > 0 ? schema.Dependencies
            : schema.Tables.Select(t => t.Schema).Distinct().Select(s => new PgDependency { Kind = PgDependency.SchemaKind, Name = s }).ToList();
        var conflicts = new List<string>();
        foreach (var dependency in dependencies)
        {
            var ddl = new PgDependencyDdl(dependency, prefix);
            Dependencies.Add(ddl);
            var existing = await PgDependencyReader.FindAsync(control, dependency, ddl.Name, ct).ConfigureAwait(false);
            if (existing == null) Missing.Add(ddl);
            else if (existing.Shape() != dependency.Shape())
                conflicts.Add(dependency.Describe());
            else if (dependency.Kind == PgDependency.ExtensionKind && existing.Version != dependency.Version)
                context.Warn($"extension {dependency.Name} is at version {existing.Version} here; the backup was taken with {dependency.Version}");
        }
        if (conflicts.Count > 0)
            throw new PsBackupException("RestoreDefinitionConflict", ErrorKind.AlreadyExists,
                $"{where}: {string.Join(", ", conflicts)} already exist{(conflicts.Count == 1 ? "s" : "")} with a definition other than the backup's. " +
                "The tables need the backup's definitions: restore into another database (-Destination), " +
                "or drop or rename these objects first. Nothing was changed.");
    }

    /// <summary>Foreign keys to tables outside the collection: restored only when asked and where the table exists; reported either way.</summary>
    private async Task PlanExternalKeysAsync(NpgsqlConnection control, PgSchemaDocument schema, PgRenames renames, TargetRestoreContext context, CancellationToken ct)
    {
        foreach (var plan in Tables.Where(p => !p.Exists))
        foreach (var key in plan.Table.ForeignKeys?.Where(k => !renames.InCollection(k.References)) ?? [])
        {
            var referenced = PgSql.Table(key.References.Schema, key.References.Name);
            if (!context.OptionsOr<PgTableRestoreOptions>().IncludeExternalForeignKeys)
                context.Warn($"foreign key {key.Name} of {plan.Ddl.QualifiedName} references {key.References}, which is not in the collection: not restored (-IncludeExternalForeignKeys restores it where that table exists)");
            else if (await control.ScalarAsync<bool>($"SELECT to_regclass({PgSql.Literal(referenced)}) IS NOT NULL", ct).ConfigureAwait(false))
                ExistingExternalTables.Add(key.References.ToString());
            else
                context.Warn($"foreign key {key.Name} of {plan.Ddl.QualifiedName} references {key.References}, which does not exist here: not restored");
        }
    }

    private async Task RequireRolesAsync(NpgsqlConnection control, string where, CancellationToken ct)
    {
        var roles = Tables.Where(p => !p.Exists).SelectMany(p => p.Ddl.Roles()).Concat(Missing.SelectMany(d => d.Roles())).Distinct().ToArray();
        await using var command = new NpgsqlCommand("SELECT array_agg(r) FROM unnest(@roles::text[]) r WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r)", control);
        command.Parameters.AddWithValue("roles", roles);
        if (await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is string[] { Length: > 0 } missing)
            throw new PsBackupException("RestoreRoleMissing", ErrorKind.NotFound,
                $"{where}: -IncludePrivileges needs the roles {string.Join(", ", missing)}, which do not exist here. Create them, or restore without -IncludePrivileges. Nothing was changed.");
    }

    /// <summary>
    /// Existing tables keep their triggers and foreign keys; replacing their rows must not fire or
    /// check them (the rows are a consistent copy): pg_restore --disable-triggers does the same, and
    /// like it this needs a superuser (or SET privilege on session_replication_role).
    /// </summary>
    private async Task PlanTriggersAsync(NpgsqlConnection control, string where, CancellationToken ct)
    {
        var existing = Tables.Where(p => p.Exists).Select(p => p.Ddl.QualifiedName).ToArray();
        if (existing.Length == 0) return;
        await using (var command = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = ANY(SELECT to_regclass(n) FROM unnest(@names::text[]) n))", control))
        {
            command.Parameters.AddWithValue("names", existing);
            QuietTriggers = (bool)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        }
        if (!QuietTriggers) return;
        try
        {
            await control.ExecuteAsync("SET session_replication_role = replica; RESET session_replication_role", ct).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new PsBackupException("RestoreNeedsPrivilege", ErrorKind.Security,
                $"{where}: the existing tables have triggers or foreign keys, which must not fire while their rows are replaced; that needs a superuser " +
                "(or GRANT SET ON PARAMETER session_replication_role). Restore into another database or with -TablePrefix instead. Nothing was changed.", e);
        }
    }
}
