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
    /// <summary>Resolves the target's table patterns (schema.table, wildcards, unqualified = public) to definitions.</summary>
    public static async Task<List<PgTableDefinition>> ReadAsync(NpgsqlConnection connection, PostgreSqlTarget target, Action<string> warn, CancellationToken ct)
    {
        var tables = await SelectTablesAsync(connection, target, warn, ct).ConfigureAwait(false);
        if (tables.Count == 0) return [];
        var byOid = tables.ToDictionary(t => t.Oid, t => t.Table);
        var oids = byOid.Keys.ToArray();
        await ReadColumnsAsync(connection, oids, byOid, ct).ConfigureAwait(false);
        await ReadConstraintsAsync(connection, oids, byOid, ct).ConfigureAwait(false);
        await ReadIndexesAsync(connection, oids, byOid, ct).ConfigureAwait(false);
        await ReadKeysAsync(connection, oids, byOid, ct).ConfigureAwait(false);
        await ReadSequencesAsync(connection, oids, byOid, ct).ConfigureAwait(false);
        return tables.Select(t => t.Table).ToList();
    }

    private static async Task<List<(uint Oid, PgTableDefinition Table)>> SelectTablesAsync(NpgsqlConnection connection, PostgreSqlTarget target, Action<string> warn, CancellationToken ct)
    {
        var all = new List<(uint Oid, PgTableDefinition Table)>();
        await using (var command = new NpgsqlCommand("""
            SELECT c.oid, n.nspname, c.relname, c.relreplident::text, pg_relation_size(c.oid)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.classid = 'pg_class'::regclass AND d.deptype = 'e')
            ORDER BY n.nspname, c.relname
            """, connection))
        await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                all.Add((reader.GetFieldValue<uint>(0), new PgTableDefinition
                {
                    Schema = reader.GetString(1), Name = reader.GetString(2), ReplicaIdentity = reader.GetString(3), Bytes = reader.GetInt64(4),
                }));

        if (target.Tables.Length == 0) return all;
        var selected = new List<(uint Oid, PgTableDefinition Table)>();
        foreach (var pattern in target.Tables)
        {
            var qualified = pattern.Contains('.') ? pattern : "public." + pattern;
            var glob = new Glob(qualified);
            var matches = all.Where(t => glob.IsMatch(t.Table.QualifiedName)).ToList();
            if (matches.Count == 0)
            {
                if (!Glob.HasWildcards(qualified))
                    throw new TargetUnavailableException(
                        $"Table '{qualified}' does not exist in database '{target.Database}' on {target.Host}:{target.Port} (or is not a plain table).");
                warn($"pattern '{pattern}' matches no table");
            }
            selected.AddRange(matches.Where(m => !selected.Exists(s => s.Oid == m.Oid)));
        }
        return selected;
    }

    private static async Task ReadColumnsAsync(NpgsqlConnection connection, uint[] oids, Dictionary<uint, PgTableDefinition> byOid, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                   pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text,
                   CASE WHEN a.attcollation <> t.typcollation AND a.attcollation <> 0
                        THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END
            FROM pg_attribute a
            JOIN pg_type t ON t.oid = a.atttypid
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            LEFT JOIN pg_collation co ON co.oid = a.attcollation
            LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
            WHERE a.attrelid = ANY(@oids) AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attrelid, a.attnum
            """, connection);
        command.Parameters.Add(new NpgsqlParameter("oids", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Oid) { Value = oids });
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
                Collation = reader.IsDBNull(7) ? null : reader.GetString(7),
            });
        }
    }

    private static async Task ReadConstraintsAsync(NpgsqlConnection connection, uint[] oids, Dictionary<uint, PgTableDefinition> byOid, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT conrelid, conname, contype::text, pg_get_constraintdef(oid)
            FROM pg_constraint WHERE conrelid = ANY(@oids) AND contype IN ('p', 'u', 'c', 'x') AND conislocal
            ORDER BY conrelid, contype DESC, conname
            """, connection);
        command.Parameters.Add(new NpgsqlParameter("oids", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Oid) { Value = oids });
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
            byOid[reader.GetFieldValue<uint>(0)].Constraints.Add(new PgConstraint
            {
                Name = reader.GetString(1), Type = reader.GetString(2), Definition = reader.GetString(3),
            });
    }

    private static async Task ReadIndexesAsync(NpgsqlConnection connection, uint[] oids, Dictionary<uint, PgTableDefinition> byOid, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT i.indrelid, ic.relname, i.indisunique, pg_get_indexdef(i.indexrelid)
            FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
            WHERE i.indrelid = ANY(@oids)
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u', 'x'))
            ORDER BY i.indrelid, ic.relname
            """, connection);
        command.Parameters.Add(new NpgsqlParameter("oids", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Oid) { Value = oids });
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            var definition = reader.GetString(3);
            var at = definition.IndexOf(" USING ", StringComparison.Ordinal);
            if (at < 0) throw new BackupFailedException($"Unexpected index definition from PostgreSQL: {definition}");
            byOid[reader.GetFieldValue<uint>(0)].Indexes.Add(new PgIndex
            {
                Name = reader.GetString(1), Unique = reader.GetBoolean(2), Definition = definition[(at + 1)..],
            });
        }
    }

    /// <summary>The replica identity's columns: the primary key (default), the chosen index, or every column (full).</summary>
    private static async Task ReadKeysAsync(NpgsqlConnection connection, uint[] oids, Dictionary<uint, PgTableDefinition> byOid, CancellationToken ct)
    {
        var primary = new Dictionary<uint, List<string>>();
        var chosen = new Dictionary<uint, List<string>>();
        await using (var command = new NpgsqlCommand("""
            SELECT i.indrelid, i.indisprimary, array_agg(a.attname ORDER BY k.ord)
            FROM pg_index i
            CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
            WHERE i.indrelid = ANY(@oids) AND (i.indisprimary OR i.indisreplident)
            GROUP BY i.indrelid, i.indexrelid, i.indisprimary
            """, connection))
        {
            command.Parameters.Add(new NpgsqlParameter("oids", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Oid) { Value = oids });
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                (reader.GetBoolean(1) ? primary : chosen)[reader.GetFieldValue<uint>(0)] = [.. reader.GetFieldValue<string[]>(2)];
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
        await using var command = new NpgsqlCommand("""
            SELECT d.refobjid, sn.nspname, s.relname, a.attname, format_type(sq.seqtypid, NULL),
                   sq.seqstart, sq.seqincrement, sq.seqmin, sq.seqmax, sq.seqcache, sq.seqcycle,
                   pg_sequence_last_value(s.oid)
            FROM pg_depend d
            JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
            JOIN pg_namespace sn ON sn.oid = s.relnamespace
            JOIN pg_sequence sq ON sq.seqrelid = s.oid
            JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
            WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
              AND d.deptype IN ('a', 'i') AND d.refobjid = ANY(@oids)
            ORDER BY d.refobjid, s.relname
            """, connection);
        command.Parameters.Add(new NpgsqlParameter("oids", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Oid) { Value = oids });
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
            });
        }
    }

    /// <summary>Current values of the tables' owned sequences (incrementals record them again).</summary>
    public static async Task<List<PgSequenceValue>> ReadSequenceValuesAsync(NpgsqlConnection connection, IEnumerable<PgTableDefinition> tables, CancellationToken ct)
    {
        var values = new List<PgSequenceValue>();
        foreach (var sequence in tables.SelectMany(t => t.Sequences))
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
