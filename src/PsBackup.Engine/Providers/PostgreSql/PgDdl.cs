using System.Text;

namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>
/// Recreates a recorded table under its restore name: the table with its columns, defaults,
/// identity and generated columns first; after its rows are loaded, the key, unique, check and
/// exclusion constraints, the indexes (as pg_restore does, so bulk loads need no index upkeep) and
/// the owned sequences' positions. With a prefix, every name the restore creates — table,
/// sequences, constraints, indexes — gets the prefix, so it can sit next to the original.
/// </summary>
internal sealed class PgDdl(PgTableDefinition table, string prefix)
{
    public string Schema => table.Schema;
    public string Name => prefix + table.Name;
    public string QualifiedName => PgSql.Table(Schema, Name);

    public IEnumerable<string> CreateStatements()
    {
        var serials = table.Sequences.Where(s => Column(s.Column)?.Identity == null).ToList();
        foreach (var sequence in serials)
            yield return $"CREATE SEQUENCE {SequenceName(sequence)} AS {sequence.Type}{SequenceOptions(sequence)}";

        var sql = new StringBuilder($"CREATE TABLE {QualifiedName} (");
        for (var i = 0; i < table.Columns.Count; i++)
        {
            var column = table.Columns[i];
            sql.Append(i == 0 ? "\n  " : ",\n  ").Append(PgSql.Ident(column.Name)).Append(' ').Append(column.Type);
            if (column.Collation != null) sql.Append(" COLLATE ").Append(column.Collation);
            if (column.Generated != null) sql.Append(" GENERATED ALWAYS AS (").Append(column.Generated).Append(") STORED");
            else if (column.Identity != null)
            {
                var sequence = table.Sequences.FirstOrDefault(s => s.Column == column.Name);
                sql.Append(" GENERATED ").Append(column.Identity.ToUpperInvariant()).Append(" AS IDENTITY");
                if (sequence != null) sql.Append(" (SEQUENCE NAME ").Append(SequenceName(sequence)).Append(SequenceOptions(sequence)).Append(')');
            }
            else if (column.Default != null)
            {
                var serial = serials.FirstOrDefault(s => s.Column == column.Name);
                sql.Append(" DEFAULT ").Append(serial != null && column.Default.StartsWith("nextval(", StringComparison.Ordinal)
                    ? $"nextval({PgSql.Literal(SequenceName(serial))}::regclass)"
                    : column.Default);
            }
            if (column.NotNull) sql.Append(" NOT NULL");
        }
        yield return sql.Append("\n)").ToString();

        foreach (var sequence in serials)
            yield return $"ALTER SEQUENCE {SequenceName(sequence)} OWNED BY {QualifiedName}.{PgSql.Ident(sequence.Column)}";
    }

    /// <summary>Constraints and indexes, built once the rows are in.</summary>
    public IEnumerable<string> IndexStatements()
    {
        foreach (var constraint in table.Constraints)
            yield return $"ALTER TABLE {QualifiedName} ADD CONSTRAINT {PgSql.Ident(prefix + constraint.Name)} {constraint.Definition}";
        foreach (var index in table.Indexes)
            yield return $"CREATE {(index.Unique ? "UNIQUE " : "")}INDEX {PgSql.Ident(prefix + index.Name)} ON {QualifiedName} {index.Definition}";
    }

    /// <summary>Puts each owned sequence where it stood (works for sequences this restore created and for existing ones).</summary>
    public IEnumerable<string> SequenceStatements(IEnumerable<PgSequenceValue> values)
    {
        foreach (var sequence in table.Sequences)
        {
            var value = values.FirstOrDefault(v => v.Schema == sequence.Schema && v.Name == sequence.Name);
            var (last, called) = value != null ? (value.LastValue, value.IsCalled) : (sequence.LastValue, sequence.IsCalled);
            yield return $"SELECT setval(pg_get_serial_sequence({PgSql.Literal(QualifiedName)}, {PgSql.Literal(sequence.Column)}), {last}, {(called ? "true" : "false")})";
        }
    }

    private PgColumn? Column(string name) => table.Columns.FirstOrDefault(c => c.Name == name);

    private string SequenceName(PgSequence sequence) => PgSql.Table(sequence.Schema, prefix + sequence.Name);

    // An identity sequence takes its column's type, so AS appears only in CREATE SEQUENCE.
    private static string SequenceOptions(PgSequence s) =>
        $" START WITH {s.Start} INCREMENT BY {s.Increment} MINVALUE {s.Min} MAXVALUE {s.Max} CACHE {s.Cache}{(s.Cycle ? " CYCLE" : " NO CYCLE")}";
}
