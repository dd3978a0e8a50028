using System.Globalization;
using System.Text;
using Npgsql;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>
/// Applies an incremental's "changes" artifact: loads it unchanged into a temporary staging table
/// (it is already a binary COPY stream) and replays it in commit order with one PL/pgSQL block,
/// whose statements are planned once. Each update and delete must match exactly one row by the
/// table's key and each insert must not collide, else the whole replay rolls back: a chain that
/// does not fit the data it is applied to is an error, never a silent merge.
/// </summary>
internal sealed class PgChangeReplayer(NpgsqlConnection connection, IReadOnlyList<PgTableDefinition> tables, string prefix)
{
    private const string Staging = "pg_temp.psbackup_changes";
    private string? _script; // the same tables for every incremental of the chain: generated once

    public async Task PrepareAsync(CancellationToken ct)
    {
        await connection.ExecuteAsync(
            "CREATE TEMP TABLE IF NOT EXISTS psbackup_changes (seq bigint, rel int, op text, old text[], new text[], present text) ON COMMIT DROP", ct).ConfigureAwait(false);
    }

    public async Task ApplyAsync(Stream changes, string backupId, CancellationToken ct)
    {
        await connection.ExecuteAsync($"TRUNCATE {Staging}", ct).ConfigureAwait(false);
        await using (var copy = await connection.BeginRawBinaryCopyAsync($"COPY {Staging} FROM STDIN (FORMAT binary)", ct).ConfigureAwait(false))
            await changes.CopyToAsync(copy, ct).ConfigureAwait(false);
        try
        {
            await connection.ExecuteAsync(_script ??= Script(), ct).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.MessageText.StartsWith("psbackup:", StringComparison.Ordinal) || e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new RestoreFailedException(
                $"The changes of backup '{backupId}' do not fit the restored rows ({e.MessageText}). The chain does not belong to this data; nothing was replayed.", e);
        }
    }

    private string Script()
    {
        // Variable names that no column of a user table is likely to share (PL/pgSQL refuses ambiguity).
        var sql = new StringBuilder("DO $psbackup$\nDECLARE psbackup_change record; psbackup_rows bigint;\nBEGIN\n");
        sql.Append(CultureInfo.InvariantCulture, $"FOR psbackup_change IN SELECT * FROM {Staging} ORDER BY seq LOOP\n  CASE psbackup_change.rel\n");
        for (var i = 0; i < tables.Count; i++)
            sql.Append(CultureInfo.InvariantCulture, $"  WHEN {i} THEN\n").Append(TableCase(tables[i]));
        sql.Append("  END CASE;\nEND LOOP;\nEND $psbackup$;");
        return sql.ToString();
    }

    private string TableCase(PgTableDefinition table)
    {
        var name = PgSql.Table(table.Schema, prefix + table.Name);
        var columns = table.StoredColumns.ToList();
        string Value(string array, int i) => $"(psbackup_change.{array}[{i + 1}])::{columns[i].Type}";
        string KeyValue(int i) => $"(CASE WHEN psbackup_change.old IS NULL THEN psbackup_change.new[{i + 1}] ELSE psbackup_change.old[{i + 1}] END)::{columns[i].Type}";
        var full = table.ReplicaIdentity == "f";
        var match = string.Join(" AND ", table.KeyColumns.Select(k =>
        {
            var i = columns.FindIndex(c => c.Name == k);
            return $"{PgSql.Ident(k)} {(full ? "IS NOT DISTINCT FROM" : "=")} {KeyValue(i)}";
        }));
        // With REPLICA IDENTITY FULL several rows can be equal: change exactly one, as the original did.
        var where = full ? $"ctid = (SELECT ctid FROM {name} WHERE {match} LIMIT 1)" : match;
        var insert = $"INSERT INTO {name} ({PgSql.ColumnList(columns.Select(c => c.Name))}) OVERRIDING SYSTEM VALUE VALUES ({string.Join(", ", columns.Select((_, i) => Value("new", i)))})";
        var set = string.Join(", ", columns.Select((c, i) => (c, i)).Where(x => x.c.Identity != "always").Select(x =>
            $"{PgSql.Ident(x.c.Name)} = CASE WHEN psbackup_change.present IS NULL OR substr(psbackup_change.present, {x.i + 1}, 1) = '1' THEN {Value("new", x.i)} ELSE {PgSql.Ident(x.c.Name)} END"));
        var check = $"GET DIAGNOSTICS psbackup_rows = ROW_COUNT; IF psbackup_rows <> 1 THEN RAISE EXCEPTION 'psbackup: change % (%) of table % matched % rows', psbackup_change.seq, psbackup_change.op, {PgSql.Literal(name)}, psbackup_rows; END IF;";
        return $"""
                IF psbackup_change.op = 'I' THEN {insert};
                ELSIF psbackup_change.op = 'U' THEN UPDATE {name} SET {set} WHERE {where}; {check}
                ELSIF psbackup_change.op = 'D' THEN DELETE FROM {name} WHERE {where}; {check}
                ELSE TRUNCATE {name};
                END IF;

            """;
    }
}
