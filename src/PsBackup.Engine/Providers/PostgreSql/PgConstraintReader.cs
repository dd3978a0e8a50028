using Npgsql;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>
/// Reads what a restore builds after the rows are in: key, unique, check and exclusion
/// constraints, indexes, foreign keys and triggers, with their comments. What a partition
/// inherits from its parent is left out where recreating the parent's recreates it (check
/// constraints, foreign keys, triggers); its key and index copies are kept with the parent index
/// they are attached to, as pg_dump does, so their names come back exactly.
/// </summary>
internal static class PgConstraintReader
{
    public static async Task ReadAsync(NpgsqlConnection connection, uint[] oids, Dictionary<uint, PgTableDefinition> byOid, CancellationToken ct)
    {
        await ReadConstraintsAsync(connection, oids, byOid, ct).ConfigureAwait(false);
        await ReadIndexesAsync(connection, oids, byOid, ct).ConfigureAwait(false);
        await ReadForeignKeysAsync(connection, oids, byOid, ct).ConfigureAwait(false);
        await ReadTriggersAsync(connection, oids, byOid, ct).ConfigureAwait(false);
    }

    private static async Task ReadConstraintsAsync(NpgsqlConnection connection, uint[] oids, Dictionary<uint, PgTableDefinition> byOid, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT c.conrelid, c.conname, c.contype::text, pg_get_constraintdef(c.oid), pn.nspname, pi.relname,
                   obj_description(c.oid, 'pg_constraint')
            FROM pg_constraint c
            LEFT JOIN pg_constraint p ON p.oid = c.conparentid AND c.contype IN ('p', 'u', 'x')
            LEFT JOIN pg_class pi ON pi.oid = p.conindid
            LEFT JOIN pg_namespace pn ON pn.oid = pi.relnamespace
            WHERE c.conrelid = ANY(@oids) AND c.contype IN ('p', 'u', 'c', 'x') AND (c.conislocal OR p.oid IS NOT NULL)
            ORDER BY c.conrelid, c.contype DESC, c.conname
            """, connection);
        command.Parameters.Add(PgCatalog.Oids("oids", oids));
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
            byOid[reader.GetFieldValue<uint>(0)].Constraints.Add(new PgConstraint
            {
                Name = reader.GetString(1), Type = reader.GetString(2), Definition = reader.GetString(3),
                ParentIndex = reader.IsDBNull(5) ? null : new PgName { Schema = reader.GetString(4), Name = reader.GetString(5) },
                Comment = reader.NullableString(6),
            });
    }

    private static async Task ReadIndexesAsync(NpgsqlConnection connection, uint[] oids, Dictionary<uint, PgTableDefinition> byOid, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT i.indrelid, ic.relname, i.indisunique, pg_get_indexdef(i.indexrelid), pn.nspname, pc.relname,
                   obj_description(i.indexrelid, 'pg_class')
            FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
            LEFT JOIN pg_inherits h ON h.inhrelid = i.indexrelid
            LEFT JOIN pg_class pc ON pc.oid = h.inhparent
            LEFT JOIN pg_namespace pn ON pn.oid = pc.relnamespace
            WHERE i.indrelid = ANY(@oids)
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u', 'x'))
            ORDER BY i.indrelid, ic.relname
            """, connection);
        command.Parameters.Add(PgCatalog.Oids("oids", oids));
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            var definition = reader.GetString(3);
            var at = definition.IndexOf(" USING ", StringComparison.Ordinal);
            if (at < 0) throw new BackupFailedException($"Unexpected index definition from PostgreSQL: {definition}");
            byOid[reader.GetFieldValue<uint>(0)].Indexes.Add(new PgIndex
            {
                Name = reader.GetString(1), Unique = reader.GetBoolean(2), Definition = definition[(at + 1)..],
                ParentIndex = reader.IsDBNull(5) ? null : new PgName { Schema = reader.GetString(4), Name = reader.GetString(5) },
                Comment = reader.NullableString(6),
            });
        }
    }

    /// <summary>Foreign keys declared on the tables (a partition's copies of its parent's are made again by the parent's).</summary>
    private static async Task ReadForeignKeysAsync(NpgsqlConnection connection, uint[] oids, Dictionary<uint, PgTableDefinition> byOid, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT c.conrelid, c.conname, pg_get_constraintdef(c.oid), rn.nspname, r.relname,
                   quote_ident(rn.nspname) || '.' || quote_ident(r.relname), obj_description(c.oid, 'pg_constraint')
            FROM pg_constraint c JOIN pg_class r ON r.oid = c.confrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
            WHERE c.conrelid = ANY(@oids) AND c.contype = 'f' AND c.conparentid = 0
            ORDER BY c.conrelid, c.conname
            """, connection);
        command.Parameters.Add(PgCatalog.Oids("oids", oids));
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
            (byOid[reader.GetFieldValue<uint>(0)].ForeignKeys ??= []).Add(new PgForeignKey
            {
                Name = reader.GetString(1), Definition = reader.GetString(2),
                References = new PgName { Schema = reader.GetString(3), Name = reader.GetString(4) },
                ReferencesPrinted = reader.GetString(5), Comment = reader.NullableString(6),
            });
    }

    /// <summary>User triggers (not the internal ones of foreign keys, not a partition's clones of its parent's).</summary>
    private static async Task ReadTriggersAsync(NpgsqlConnection connection, uint[] oids, Dictionary<uint, PgTableDefinition> byOid, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT t.tgrelid, t.tgname, pg_get_triggerdef(t.oid), t.tgenabled::text, obj_description(t.oid, 'pg_trigger')
            FROM pg_trigger t
            WHERE t.tgrelid = ANY(@oids) AND NOT t.tgisinternal AND t.tgparentid = 0
            ORDER BY t.tgrelid, t.tgname
            """, connection);
        command.Parameters.Add(PgCatalog.Oids("oids", oids));
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
            (byOid[reader.GetFieldValue<uint>(0)].Triggers ??= []).Add(new PgTrigger
            {
                Name = reader.GetString(1), Definition = reader.GetString(2), Enabled = reader.GetString(3), Comment = reader.NullableString(4),
            });
    }
}
