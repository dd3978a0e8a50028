using Npgsql;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>
/// Reads the definitions of the target's tables from the catalogs, inside the backup's snapshot.
/// The session's search_path is pg_catalog, so every type, sequence and expression comes out
/// schema-qualified (as pg_dump does) and re-parses the same in another database.
/// </summary>
internal static class PgSchemaReader
{
    /// <summary>
    /// Resolves the target's table patterns (schema.table, wildcards, unqualified = public) to
    /// definitions; the partitions of a selected partitioned table come with it.
    /// </summary>
    public static async Task<List<PgTableDefinition>> ReadAsync(NpgsqlConnection connection, PostgreSqlTarget target, Action<string> warn, CancellationToken ct) =>
        (await ReadTablesAsync(connection, target, warn, ct).ConfigureAwait(false)).Select(t => t.Table).ToList();

    /// <summary>The schema artifact: the tables and, in creation order, what they depend on.</summary>
    public static async Task<PgSchemaDocument> ReadDocumentAsync(NpgsqlConnection connection, PostgreSqlTarget target, Action<string> warn, CancellationToken ct)
    {
        var read = await ReadTablesAsync(connection, target, warn, ct).ConfigureAwait(false);
        var tables = read.Select(t => t.Table).ToList();
        if (tables.Count == 0) return new PgSchemaDocument();
        var dependencies = await PgDependencyReader.ReadAsync(connection, read.Select(t => t.Oid).ToArray(), tables, warn, ct).ConfigureAwait(false);
        var names = tables.Select(t => t.QualifiedName).ToHashSet();
        foreach (var table in tables)
        foreach (var key in table.ForeignKeys?.Where(k => !names.Contains(k.References.ToString())) ?? [])
            warn($"foreign key {key.Name} of table {table.QualifiedName} references {key.References}, which is not in the collection: " +
                 "recorded, and restored only with -IncludeExternalForeignKeys where that table exists");
        return new PgSchemaDocument { Tables = tables, Dependencies = dependencies };
    }

    private static async Task<List<(uint Oid, PgTableDefinition Table)>> ReadTablesAsync(NpgsqlConnection connection, PostgreSqlTarget target, Action<string> warn, CancellationToken ct)
    {
        var tables = await SelectTablesAsync(connection, target, warn, ct).ConfigureAwait(false);
        if (tables.Count == 0) return [];
        var byOid = tables.ToDictionary(t => t.Oid, t => t.Table);
        var oids = byOid.Keys.ToArray();
        await ReadColumnsAsync(connection, oids, byOid, ct).ConfigureAwait(false);
        await PgConstraintReader.ReadAsync(connection, oids, byOid, ct).ConfigureAwait(false);
        await ReadKeysAsync(connection, oids, byOid, ct).ConfigureAwait(false);
        await ReadSequencesAsync(connection, oids, byOid, ct).ConfigureAwait(false);
        await ReadCopyFormatsAsync(connection, oids, byOid, ct).ConfigureAwait(false);
        return tables;
    }

    private static async Task<List<(uint Oid, PgTableDefinition Table)>> SelectTablesAsync(NpgsqlConnection connection, PostgreSqlTarget target, Action<string> warn, CancellationToken ct)
    {
        var all = new List<(uint Oid, uint Parent, PgTableDefinition Table)>();
        await using (var command = new NpgsqlCommand($"""
            SELECT c.oid, n.nspname, c.relname, c.relreplident::text, pg_relation_size(c.oid),
                   CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
                   coalesce(i.inhparent, 0), pn.nspname, p.relname,
                   CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END,
                   obj_description(c.oid, 'pg_class'), pg_get_userbyid(c.relowner), {PgCatalog.GrantsJson("c.relacl")},
                   quote_ident(n.nspname) || '.' || quote_ident(c.relname), c.relpersistence = 'u', c.reloptions
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_inherits i ON i.inhrelid = c.oid AND c.relispartition
            LEFT JOIN pg_class p ON p.oid = i.inhparent
            LEFT JOIN pg_namespace pn ON pn.oid = p.relnamespace
            WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.classid = 'pg_class'::regclass AND d.deptype = 'e')
            ORDER BY n.nspname, c.relname
            """, connection))
        await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                all.Add((reader.GetFieldValue<uint>(0), reader.GetFieldValue<uint>(6), new PgTableDefinition
                {
                    Schema = reader.GetString(1), Name = reader.GetString(2), ReplicaIdentity = reader.GetString(3), Bytes = reader.GetInt64(4),
                    PartitionKey = reader.NullableString(5),
                    PartitionOf = reader.IsDBNull(8) ? null : new PgName { Schema = reader.GetString(7), Name = reader.GetString(8) },
                    PartitionBound = reader.NullableString(9),
                    Comment = reader.NullableString(10), Owner = reader.GetString(11), Grants = PgCatalog.Grants(reader, 12),
                    PrintedName = reader.GetString(13), Unlogged = reader.GetBoolean(14),
                    Options = reader.IsDBNull(15) ? null : [.. reader.GetFieldValue<string[]>(15)],
                }));

        if (target.Tables.Length == 0) return all.Select(t => (t.Oid, t.Table)).ToList();
        var selected = new List<(uint Oid, PgTableDefinition Table)>();
        void Add((uint Oid, uint Parent, PgTableDefinition Table) table)
        {
            if (selected.Exists(s => s.Oid == table.Oid)) return;
            selected.Add((table.Oid, table.Table));
            // A partitioned table's rows live in its partitions: they belong to the collection with it.
            foreach (var partition in all.Where(t => t.Parent == table.Oid)) Add(partition);
        }
        foreach (var pattern in target.Tables)
        {
            var qualified = pattern.Contains('.') ? pattern : "public." + pattern;
            var glob = new Glob(qualified);
            var matches = all.Where(t => glob.IsMatch(t.Table.QualifiedName)).ToList();
            if (matches.Count == 0)
            {
                if (!Glob.HasWildcards(qualified))
                    throw new TargetUnavailableException(
                        $"Table '{qualified}' does not exist in database '{target.Database}' on {target.Host}:{target.Port} (or is not a table).");
                warn($"pattern '{pattern}' matches no table");
            }
            foreach (var match in matches) Add(match);
        }
        return selected;
    }

    private static async Task ReadColumnsAsync(NpgsqlConnection connection, uint[] oids, Dictionary<uint, PgTableDefinition> byOid, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"""
            SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                   pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text,
                   CASE WHEN a.attcollation <> t.typcollation AND a.attcollation <> 0
                        THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END,
                   a.atttypid, col_description(a.attrelid, a.attnum), {PgCatalog.GrantsJson("a.attacl")}
            FROM pg_attribute a
            JOIN pg_type t ON t.oid = a.atttypid
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            LEFT JOIN pg_collation co ON co.oid = a.attcollation
            LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
            WHERE a.attrelid = ANY(@oids) AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attrelid, a.attnum
            """, connection);
        command.Parameters.Add(PgCatalog.Oids("oids", oids));
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            var identity = reader.GetString(5);
            var generated = reader.GetString(6) == "s";
            var expression = reader.IsDBNull(4) ? null : reader.GetString(4);
            byOid[reader.GetFieldValue<uint>(0)].Columns.Add(new PgColumn
            {
                Name = reader.GetString(1),
                Type = reader.GetString(2),
                NotNull = reader.GetBoolean(3),
                Default = generated ? null : expression,
                Generated = generated ? expression : null,
                Identity = identity switch { "a" => "always", "d" => "by default", _ => null },
                Collation = reader.NullableString(7),
                TypeOid = reader.GetFieldValue<uint>(8),
                Comment = reader.NullableString(9),
                Grants = PgCatalog.Grants(reader, 10),
            });
        }
    }

    /// <summary>The replica identity's columns: the primary key (default), the chosen index, or every column (full).</summary>
    private static async Task ReadKeysAsync(NpgsqlConnection connection, uint[] oids, Dictionary<uint, PgTableDefinition> byOid, CancellationToken ct)
    {
        var primary = new Dictionary<uint, List<string>>();
        var chosen = new Dictionary<uint, List<string>>();
        await using (var command = new NpgsqlCommand("""
            SELECT i.indrelid, i.indisprimary, i.indisreplident, ic.relname, array_agg(a.attname ORDER BY k.ord)
            FROM pg_index i
            JOIN pg_class ic ON ic.oid = i.indexrelid
            CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
            WHERE i.indrelid = ANY(@oids) AND (i.indisprimary OR i.indisreplident)
            GROUP BY i.indrelid, i.indexrelid, i.indisprimary, i.indisreplident, ic.relname
            """, connection))
        {
            command.Parameters.Add(PgCatalog.Oids("oids", oids));
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var (oid, columns) = (reader.GetFieldValue<uint>(0), reader.GetFieldValue<string[]>(4).ToList());
                if (reader.GetBoolean(1)) primary[oid] = columns;
                if (!reader.GetBoolean(2)) continue;
                chosen[oid] = columns;
                byOid[oid].ReplicaIdentityIndex = reader.GetString(3);
            }
        }
        foreach (var (oid, table) in byOid)
            table.KeyColumns = table.ReplicaIdentity switch
            {
                "d" => primary.GetValueOrDefault(oid) ?? [],
                "i" => chosen.GetValueOrDefault(oid) ?? [],
                "f" => table.Columns.Select(c => c.Name).ToList(),
                _ => [],
            };
    }

    private static async Task ReadSequencesAsync(NpgsqlConnection connection, uint[] oids, Dictionary<uint, PgTableDefinition> byOid, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"""
            SELECT d.refobjid, sn.nspname, s.relname, a.attname, format_type(sq.seqtypid, NULL),
                   sq.seqstart, sq.seqincrement, sq.seqmin, sq.seqmax, sq.seqcache, sq.seqcycle,
                   pg_sequence_last_value(s.oid), s.oid::regclass::text, obj_description(s.oid, 'pg_class'), {PgCatalog.GrantsJson("s.relacl")}
            FROM pg_depend d
            JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
            JOIN pg_namespace sn ON sn.oid = s.relnamespace
            JOIN pg_sequence sq ON sq.seqrelid = s.oid
            JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
            WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
              AND d.deptype IN ('a', 'i') AND d.refobjid = ANY(@oids)
            ORDER BY d.refobjid, s.relname
            """, connection);
        command.Parameters.Add(PgCatalog.Oids("oids", oids));
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            var called = !reader.IsDBNull(11);
            byOid[reader.GetFieldValue<uint>(0)].Sequences.Add(new PgSequence
            {
                Schema = reader.GetString(1), Name = reader.GetString(2), Column = reader.GetString(3), Type = reader.GetString(4),
                Start = reader.GetInt64(5), Increment = reader.GetInt64(6), Min = reader.GetInt64(7), Max = reader.GetInt64(8),
                Cache = reader.GetInt64(9), Cycle = reader.GetBoolean(10),
                LastValue = called ? reader.GetInt64(11) : reader.GetInt64(5), IsCalled = called,
                Printed = reader.GetString(12), Comment = reader.NullableString(13), Grants = PgCatalog.Grants(reader, 14),
            });
        }
    }

    /// <summary>
    /// Marks the tables whose rows must be copied as text: binary COPY writes the type OID of each
    /// array element and composite field, and array_recv/record_recv refuse an OID that differs
    /// from the destination's — as a user-defined type's does in another database. Walks each
    /// column's type through domains, ranges, arrays and composites.
    /// </summary>
    private static async Task ReadCopyFormatsAsync(NpgsqlConnection connection, uint[] oids, Dictionary<uint, PgTableDefinition> byOid, CancellationToken ct)
    {
        var edges = new List<(uint Parent, uint Child, bool Embedded)>();
        await using (var command = new NpgsqlCommand("""
            WITH RECURSIVE edge(parent, child, embedded) AS (
              SELECT 0::oid, a.atttypid, false FROM pg_attribute a
              WHERE a.attrelid = ANY(@oids) AND a.attnum > 0 AND NOT a.attisdropped
              UNION
              SELECT e.child, x.child, x.embedded FROM edge e CROSS JOIN LATERAL (
                SELECT t.typelem AS child, true AS embedded FROM pg_type t WHERE t.oid = e.child AND t.typelem <> 0 AND t.typlen = -1
                UNION ALL SELECT t.typbasetype, false FROM pg_type t WHERE t.oid = e.child AND t.typtype = 'd'
                UNION ALL SELECT r.rngsubtype, false FROM pg_range r WHERE r.rngtypid = e.child OR r.rngmultitypid = e.child
                UNION ALL SELECT a.atttypid, true FROM pg_type t JOIN pg_attribute a ON a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
                          WHERE t.oid = e.child AND t.typtype = 'c') x
            )
            SELECT parent, child, embedded FROM edge
            """, connection))
        {
            command.Parameters.Add(PgCatalog.Oids("oids", oids));
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                edges.Add((reader.GetFieldValue<uint>(0), reader.GetFieldValue<uint>(1), reader.GetBoolean(2)));
        }
        var children = edges.ToLookup(e => e.Parent);
        var memo = new Dictionary<uint, bool>();
        bool EmbedsUserOid(uint type) => memo.TryGetValue(type, out var known) ? known
            : memo[type] = children[type].Any(e => (e.Embedded && e.Child >= PgCatalog.FirstUserOid) || EmbedsUserOid(e.Child));
        foreach (var table in byOid.Values)
            if (table.StoredColumns.Any(c => EmbedsUserOid(c.TypeOid)))
                table.CopyFormat = "text";
    }

    /// <summary>Current values of the sequences the tables own or use (incrementals record them again).</summary>
    public static async Task<List<PgSequenceValue>> ReadSequenceValuesAsync(NpgsqlConnection connection, IEnumerable<PgSequence> sequences, CancellationToken ct)
    {
        var values = new List<PgSequenceValue>();
        foreach (var sequence in sequences)
        {
            await using var command = new NpgsqlCommand("SELECT pg_sequence_last_value(to_regclass(@name))", connection);
            command.Parameters.AddWithValue("name", $"{PgSql.Ident(sequence.Schema)}.{PgSql.Ident(sequence.Name)}");
            var value = await command.ExecuteScalarAsync(ct).ConfigureAwait(false);
            values.Add(new PgSequenceValue(sequence.Schema, sequence.Name, value is long last ? last : sequence.Start, value is long));
        }
        return values;
    }
}

internal sealed record PgSequenceValue(string Schema, string Name, long LastValue, bool IsCalled);
