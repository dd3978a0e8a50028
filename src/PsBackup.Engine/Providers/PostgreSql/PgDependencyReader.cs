using Npgsql;
using Node = PsBackup.Engine.Providers.PostgreSql.PgDependencyGraph.Node;

namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>
/// Reads the definitions of the objects the tables depend on (see <see cref="PgDependencyGraph"/>)
/// at backup time, and the same definitions of same-named objects at a restore's destination, so
/// the two can be compared with one reader's output on both sides.
/// </summary>
internal static class PgDependencyReader
{
    /// <summary>The tables' dependencies in creation order: schemas, extensions, then types, functions and sequences as they need each other.</summary>
    public static async Task<List<PgDependency>> ReadAsync(NpgsqlConnection connection, uint[] tableOids, List<PgTableDefinition> tables, Action<string> warn, CancellationToken ct)
    {
        var graph = await PgDependencyGraph.WalkAsync(connection, tableOids, ct).ConfigureAwait(false);
        foreach (var unsupported in graph.Unsupported.Distinct())
            warn($"the tables use {unsupported}, which is not recorded: a restore needs it to exist at the destination already");
        var owned = tables.SelectMany(t => t.Sequences).Select(s => (s.Schema, s.Name)).ToHashSet();
        var read = await ReadNodesAsync(connection, graph.Ordered, ct).ConfigureAwait(false);
        var objects = graph.Ordered.Where(read.ContainsKey).Select(n => read[n])
            .Where(d => !(d.Kind == PgDependency.SequenceKind && owned.Contains((d.Schema, d.Name)))) // recreated with its table
            .ToList();
        var schemaNames = tables.Select(t => t.Schema).Concat(objects.Select(d => d.Schema)).Where(s => s.Length > 0).Distinct().Order(StringComparer.Ordinal);
        var schemas = await ReadSchemasAsync(connection, schemaNames.ToArray(), ct).ConfigureAwait(false);
        return [.. schemas, .. objects];
    }

    /// <summary>The destination's object of the same kind and name (<paramref name="name"/>: the recorded one, or the prefixed one for sequences), or null.</summary>
    public static async Task<PgDependency?> FindAsync(NpgsqlConnection connection, PgDependency wanted, string name, CancellationToken ct)
    {
        if (wanted.Kind == PgDependency.SchemaKind)
            return (await ReadSchemasAsync(connection, [name], ct).ConfigureAwait(false)).FirstOrDefault();
        // Catalog lookups, not to_regtype/to_regprocedure: PostgreSQL before 16 raises an error
        // instead of returning null when an argument type of the name does not exist.
        var (sql, catalog) = wanted.Kind switch
        {
            PgDependency.ExtensionKind => ("SELECT oid FROM pg_extension WHERE extname = @name", "pg_extension"),
            PgDependency.FunctionKind => ("SELECT p.oid FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = @schema AND p.proname = @name AND p.oid::regprocedure::text = @signature", "pg_proc"),
            PgDependency.SequenceKind => ("SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = @schema AND c.relname = @name AND c.relkind = 'S'", "pg_class"),
            _ => ("SELECT t.oid FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = @schema AND t.typname = @name", "pg_type"),
        };
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("schema", wanted.Schema);
        command.Parameters.AddWithValue("name", name);
        command.Parameters.AddWithValue("signature", wanted.Signature ?? "");
        if (await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is not uint oid) return null;
        var node = new Node(catalog, oid);
        // Something of that name this reader does not describe (a base type, a table's row type …) is no match either.
        return (await ReadNodesAsync(connection, [node], ct).ConfigureAwait(false)).GetValueOrDefault(node) ?? new PgDependency { Kind = "other" };
    }

    private static async Task<Dictionary<Node, PgDependency>> ReadNodesAsync(NpgsqlConnection connection, List<Node> nodes, CancellationToken ct)
    {
        var result = new Dictionary<Node, PgDependency>();
        uint[] Oids(string catalog) => nodes.Where(n => n.Catalog == catalog).Select(n => n.Oid).ToArray();
        foreach (var (oid, dependency) in await ReadExtensionsAsync(connection, Oids("pg_extension"), ct).ConfigureAwait(false))
            result[new Node("pg_extension", oid)] = dependency;
        foreach (var (oid, dependency) in await ReadTypesAsync(connection, Oids("pg_type"), ct).ConfigureAwait(false))
            result[new Node("pg_type", oid)] = dependency;
        foreach (var (oid, dependency) in await ReadFunctionsAsync(connection, Oids("pg_proc"), ct).ConfigureAwait(false))
            result[new Node("pg_proc", oid)] = dependency;
        foreach (var (oid, dependency) in await ReadSequencesAsync(connection, Oids("pg_class"), ct).ConfigureAwait(false))
            result[new Node("pg_class", oid)] = dependency;
        return result;
    }

    private static async Task<List<PgDependency>> ReadSchemasAsync(NpgsqlConnection connection, string[] names, CancellationToken ct)
    {
        var schemas = new List<PgDependency>();
        await using var command = new NpgsqlCommand($"""
            SELECT nspname, pg_get_userbyid(nspowner), obj_description(oid, 'pg_namespace'), {PgCatalog.GrantsJson("nspacl")}
            FROM pg_namespace WHERE nspname = ANY(@names) ORDER BY nspname
            """, connection);
        command.Parameters.AddWithValue("names", names);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
            schemas.Add(new PgDependency
            {
                Kind = PgDependency.SchemaKind, Name = reader.GetString(0), Owner = reader.GetString(1),
                Comment = reader.NullableString(2), Grants = PgCatalog.Grants(reader, 3),
            });
        return schemas;
    }

    private static async Task<List<(uint, PgDependency)>> ReadExtensionsAsync(NpgsqlConnection connection, uint[] oids, CancellationToken ct)
    {
        var result = new List<(uint, PgDependency)>();
        if (oids.Length == 0) return result;
        await using var command = new NpgsqlCommand("""
            SELECT e.oid, e.extname, n.nspname, e.extversion FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.oid = ANY(@oids)
            """, connection);
        command.Parameters.Add(PgCatalog.Oids("oids", oids));
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
            result.Add((reader.GetFieldValue<uint>(0), new PgDependency
            {
                Kind = PgDependency.ExtensionKind, Name = reader.GetString(1), Schema = reader.GetString(2), Version = reader.GetString(3),
            }));
        return result;
    }

    /// <summary>Enums, domains, composite and range types; a collation is named only where it differs from the type's default.</summary>
    private static async Task<List<(uint, PgDependency)>> ReadTypesAsync(NpgsqlConnection connection, uint[] oids, CancellationToken ct)
    {
        var types = new Dictionary<uint, PgDependency>();
        if (oids.Length == 0) return [];
        await using (var command = new NpgsqlCommand($"""
            SELECT t.oid, t.typtype::text, n.nspname, t.typname,
                   CASE WHEN t.typtype = 'e' THEN ARRAY(SELECT enumlabel::text FROM pg_enum WHERE enumtypid = t.oid ORDER BY enumsortorder) END,
                   CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END, t.typnotnull,
                   CASE WHEN t.typtype = 'd' THEN pg_get_expr(t.typdefaultbin, 0) END,
                   CASE WHEN t.typtype = 'd' AND t.typcollation <> 0 AND t.typcollation <> b.typcollation THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END,
                   obj_description(t.oid, 'pg_type'), pg_get_userbyid(t.typowner), {PgCatalog.GrantsJson("t.typacl")}
            FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
            LEFT JOIN pg_type b ON b.oid = t.typbasetype
            LEFT JOIN pg_collation co ON co.oid = t.typcollation LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
            WHERE t.oid = ANY(@oids) AND t.typtype IN ('e', 'd', 'c', 'r')
            """, connection))
        {
            command.Parameters.Add(PgCatalog.Oids("oids", oids));
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                types[reader.GetFieldValue<uint>(0)] = new PgDependency
                {
                    Kind = reader.GetString(1) switch { "e" => PgDependency.EnumKind, "d" => PgDependency.DomainKind, "c" => PgDependency.CompositeKind, _ => PgDependency.RangeKind },
                    Schema = reader.GetString(2), Name = reader.GetString(3),
                    Labels = reader.IsDBNull(4) ? null : [.. reader.GetFieldValue<string[]>(4)],
                    BaseType = reader.NullableString(5), NotNull = reader.GetBoolean(6), Default = reader.NullableString(7), Collation = reader.NullableString(8),
                    Comment = reader.NullableString(9), Owner = reader.GetString(10), Grants = PgCatalog.Grants(reader, 11),
                };
        }
        await ReadDomainConstraintsAsync(connection, types, ct).ConfigureAwait(false);
        await ReadAttributesAsync(connection, types, ct).ConfigureAwait(false);
        await ReadRangesAsync(connection, types, ct).ConfigureAwait(false);
        return types.Select(t => (t.Key, t.Value)).ToList();
    }

    private static async Task ReadDomainConstraintsAsync(NpgsqlConnection connection, Dictionary<uint, PgDependency> types, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT contypid, conname, pg_get_constraintdef(oid), obj_description(oid, 'pg_constraint')
            FROM pg_constraint WHERE contypid = ANY(@oids) AND contype = 'c' ORDER BY contypid, conname
            """, connection);
        command.Parameters.Add(PgCatalog.Oids("oids", types.Keys));
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
            (types[reader.GetFieldValue<uint>(0)].Constraints ??= []).Add(new PgConstraint
            {
                Name = reader.GetString(1), Type = "c", Definition = reader.GetString(2), Comment = reader.NullableString(3),
            });
    }

    private static async Task ReadAttributesAsync(NpgsqlConnection connection, Dictionary<uint, PgDependency> types, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT t.oid, a.attname, format_type(a.atttypid, a.atttypmod),
                   CASE WHEN a.attcollation <> at.typcollation AND a.attcollation <> 0 THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END,
                   col_description(t.typrelid, a.attnum)
            FROM pg_type t JOIN pg_attribute a ON a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
            JOIN pg_type at ON at.oid = a.atttypid
            LEFT JOIN pg_collation co ON co.oid = a.attcollation LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
            WHERE t.oid = ANY(@oids) AND t.typtype = 'c'
            ORDER BY t.oid, a.attnum
            """, connection);
        command.Parameters.Add(PgCatalog.Oids("oids", types.Keys));
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
            (types[reader.GetFieldValue<uint>(0)].Attributes ??= []).Add(new PgColumn
            {
                Name = reader.GetString(1), Type = reader.GetString(2), Collation = reader.NullableString(3), Comment = reader.NullableString(4),
            });
    }

    private static async Task ReadRangesAsync(NpgsqlConnection connection, Dictionary<uint, PgDependency> types, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT r.rngtypid, format_type(r.rngsubtype, NULL),
                   CASE WHEN NOT oc.opcdefault THEN quote_ident(ocn.nspname) || '.' || quote_ident(oc.opcname) END,
                   CASE WHEN r.rngcollation <> 0 AND r.rngcollation <> st.typcollation THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END,
                   CASE WHEN r.rngcanonical <> 0 THEN r.rngcanonical::text END,
                   CASE WHEN r.rngsubdiff <> 0 THEN r.rngsubdiff::text END,
                   format_type(r.rngmultitypid, NULL)
            FROM pg_range r JOIN pg_type st ON st.oid = r.rngsubtype
            JOIN pg_opclass oc ON oc.oid = r.rngsubopc JOIN pg_namespace ocn ON ocn.oid = oc.opcnamespace
            LEFT JOIN pg_collation co ON co.oid = r.rngcollation LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
            WHERE r.rngtypid = ANY(@oids)
            """, connection);
        command.Parameters.Add(PgCatalog.Oids("oids", types.Keys));
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            var range = types[reader.GetFieldValue<uint>(0)];
            (range.Subtype, range.SubtypeOpclass, range.Collation, range.Canonical, range.SubtypeDiff, range.Multirange) =
                (reader.GetString(1), reader.NullableString(2), reader.NullableString(3), reader.NullableString(4), reader.NullableString(5), reader.GetString(6));
        }
    }

    private static async Task<List<(uint, PgDependency)>> ReadFunctionsAsync(NpgsqlConnection connection, uint[] oids, CancellationToken ct)
    {
        var result = new List<(uint, PgDependency)>();
        if (oids.Length == 0) return result;
        await using var command = new NpgsqlCommand($"""
            SELECT p.oid, n.nspname, p.proname, p.oid::regprocedure::text, pg_get_functiondef(p.oid),
                   obj_description(p.oid, 'pg_proc'), pg_get_userbyid(p.proowner), {PgCatalog.GrantsJson("p.proacl")}
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE p.oid = ANY(@oids) AND p.prokind IN ('f', 'p', 'w')
            """, connection);
        command.Parameters.Add(PgCatalog.Oids("oids", oids));
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
            result.Add((reader.GetFieldValue<uint>(0), new PgDependency
            {
                Kind = PgDependency.FunctionKind, Schema = reader.GetString(1), Name = reader.GetString(2),
                Signature = reader.GetString(3), Definition = reader.GetString(4),
                Comment = reader.NullableString(5), Owner = reader.GetString(6), Grants = PgCatalog.Grants(reader, 7),
            }));
        return result;
    }

    private static async Task<List<(uint, PgDependency)>> ReadSequencesAsync(NpgsqlConnection connection, uint[] oids, CancellationToken ct)
    {
        var result = new List<(uint, PgDependency)>();
        if (oids.Length == 0) return result;
        await using var command = new NpgsqlCommand($"""
            SELECT s.oid, n.nspname, s.relname, format_type(q.seqtypid, NULL), q.seqstart, q.seqincrement, q.seqmin, q.seqmax, q.seqcache, q.seqcycle,
                   pg_sequence_last_value(s.oid), s.oid::regclass::text, obj_description(s.oid, 'pg_class'), pg_get_userbyid(s.relowner),
                   {PgCatalog.GrantsJson("s.relacl")}
            FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace JOIN pg_sequence q ON q.seqrelid = s.oid
            WHERE s.oid = ANY(@oids) AND s.relkind = 'S'
            """, connection);
        command.Parameters.Add(PgCatalog.Oids("oids", oids));
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            var called = !reader.IsDBNull(10);
            var sequence = new PgSequence
            {
                Schema = reader.GetString(1), Name = reader.GetString(2), Type = reader.GetString(3),
                Start = reader.GetInt64(4), Increment = reader.GetInt64(5), Min = reader.GetInt64(6), Max = reader.GetInt64(7),
                Cache = reader.GetInt64(8), Cycle = reader.GetBoolean(9),
                LastValue = called ? reader.GetInt64(10) : reader.GetInt64(4), IsCalled = called, Printed = reader.GetString(11),
            };
            result.Add((reader.GetFieldValue<uint>(0), new PgDependency
            {
                Kind = PgDependency.SequenceKind, Schema = sequence.Schema, Name = sequence.Name, Sequence = sequence,
                Comment = reader.NullableString(12), Owner = reader.GetString(13), Grants = PgCatalog.Grants(reader, 14),
            }));
        }
        return result;
    }
}
