using System.Text;

namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>
/// Recreates a recorded table under its restore name, in pg_restore's order: the table with its
/// columns, defaults, identity and generated columns (a partition attached to its parent) first;
/// after its rows are loaded, the key, unique, check and exclusion constraints and the indexes (a
/// partition's attached to its parent's, as pg_dump does); after the incrementals are replayed,
/// foreign keys and triggers (so neither fires nor checks during the load), comments and, on
/// request, owner and privileges. With a prefix, every name the restore creates — table,
/// sequences, constraints, indexes — gets the prefix, and references between the collection's
/// tables and to its sequences follow the new names, so a prefixed copy never touches the originals.
/// </summary>
internal sealed class PgDdl(PgTableDefinition table, string prefix, PgRenames renames)
{
    public PgTableDefinition Table => table;
    public string Schema => table.Schema;
    public string Name => prefix + table.Name;
    public string QualifiedName => PgSql.Table(Schema, Name);

    /// <summary>The parent this partition is attached to, when the parent is restored too; null otherwise.</summary>
    public PgName? Parent => table.PartitionOf is { } parent && renames.InCollection(parent) ? parent : null;

    public IEnumerable<string> CreateStatements()
    {
        var serials = table.Sequences.Where(s => Column(s.Column)?.Identity == null).ToList();
        foreach (var sequence in serials)
            yield return $"CREATE SEQUENCE {SequenceName(sequence)} AS {sequence.Type}{SequenceOptions(sequence)}";

        var sql = new StringBuilder($"CREATE {(table.Unlogged ? "UNLOGGED " : "")}TABLE {QualifiedName} (");
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
                sql.Append(" DEFAULT ").Append(Default(column, serials));
            if (column.NotNull) sql.Append(" NOT NULL");
        }
        sql.Append("\n)");
        if (table.PartitionKey != null) sql.Append(" PARTITION BY ").Append(table.PartitionKey);
        if (table.Options is { Count: > 0 } options) sql.Append(" WITH (").Append(string.Join(", ", options)).Append(')');
        yield return sql.ToString();

        foreach (var sequence in serials)
            yield return $"ALTER SEQUENCE {SequenceName(sequence)} OWNED BY {QualifiedName}.{PgSql.Ident(sequence.Column)}";
        if (Parent is { } parent)
            yield return $"ALTER TABLE ONLY {renames.Table(parent)} ATTACH PARTITION {QualifiedName} {table.PartitionBound}";
    }

    /// <summary>Constraints and indexes, built once the rows are in. A partitioned table's only on itself: its partitions' are attached to them.</summary>
    public IEnumerable<string> IndexStatements()
    {
        var only = table.PartitionKey != null ? "ONLY " : "";
        foreach (var constraint in table.Constraints)
            yield return constraint.Type == "c"
                ? $"ALTER TABLE {QualifiedName} ADD CONSTRAINT {PgSql.Ident(prefix + constraint.Name)} {constraint.Definition}" // a check reaches the partitions
                : $"ALTER TABLE ONLY {QualifiedName} ADD CONSTRAINT {PgSql.Ident(prefix + constraint.Name)} {constraint.Definition}";
        foreach (var index in table.Indexes)
            yield return $"CREATE {(index.Unique ? "UNIQUE " : "")}INDEX {PgSql.Ident(prefix + index.Name)} ON {only}{QualifiedName} {index.Definition}";
        var identity = table.ReplicaIdentity switch
        {
            "f" => "FULL",
            "n" => "NOTHING",
            "i" when table.ReplicaIdentityIndex != null => $"USING INDEX {PgSql.Ident(prefix + table.ReplicaIdentityIndex)}",
            _ => null,
        };
        if (identity != null) yield return $"ALTER TABLE ONLY {QualifiedName} REPLICA IDENTITY {identity}";
    }

    /// <summary>A partition's key and index copies attached to the parent's (ALTER INDEX … ATTACH PARTITION).</summary>
    public IEnumerable<string> AttachStatements()
    {
        if (Parent == null) yield break;
        var attached = table.Constraints.Where(c => c.ParentIndex != null).Select(c => (c.Name, Parent: c.ParentIndex!))
            .Concat(table.Indexes.Where(i => i.ParentIndex != null).Select(i => (i.Name, Parent: i.ParentIndex!)));
        foreach (var (name, parent) in attached)
            yield return $"ALTER INDEX {PgSql.Table(parent.Schema, prefix + parent.Name)} ATTACH PARTITION {PgSql.Table(Schema, prefix + name)}";
    }

    /// <summary>
    /// Foreign keys: among the collection's tables (to the restored names), and — only when asked —
    /// to tables outside it, which are referenced under their own names.
    /// </summary>
    public IEnumerable<string> ForeignKeyStatements(Func<PgForeignKey, bool> include)
    {
        var only = table.PartitionKey != null ? "" : "ONLY ";
        foreach (var key in table.ForeignKeys ?? [])
        {
            if (!include(key)) continue;
            var definition = renames.InCollection(key.References) && prefix.Length > 0
                ? ReplaceFirst(key.Definition, $"REFERENCES {key.ReferencesPrinted}(", $"REFERENCES {renames.Table(key.References)}(")
                : key.Definition;
            yield return $"ALTER TABLE {only}{QualifiedName} ADD CONSTRAINT {PgSql.Ident(prefix + key.Name)} {definition}";
        }
    }

    /// <summary>Triggers, created once the rows are in (none fires during the load), with their enabled state.</summary>
    public IEnumerable<string> TriggerStatements()
    {
        foreach (var trigger in table.Triggers ?? [])
        {
            yield return prefix.Length > 0 && table.PrintedName != null
                ? ReplaceFirst(trigger.Definition, $" ON {table.PrintedName} ", $" ON {QualifiedName} ")
                : trigger.Definition;
            var state = trigger.Enabled switch { "D" => "DISABLE", "R" => "ENABLE REPLICA", "A" => "ENABLE ALWAYS", _ => null };
            if (state != null) yield return $"ALTER TABLE {QualifiedName} {state} TRIGGER {PgSql.Ident(trigger.Name)}";
        }
    }

    public IEnumerable<string> CommentStatements()
    {
        if (table.Comment != null) yield return $"COMMENT ON TABLE {QualifiedName} IS {PgSql.Literal(table.Comment)}";
        foreach (var column in table.Columns.Where(c => c.Comment != null))
            yield return $"COMMENT ON COLUMN {QualifiedName}.{PgSql.Ident(column.Name)} IS {PgSql.Literal(column.Comment!)}";
        foreach (var (name, comment) in table.Constraints.Select(c => (c.Name, c.Comment)).Concat(table.ForeignKeys?.Select(k => (k.Name, k.Comment)) ?? []))
            if (comment != null) yield return $"COMMENT ON CONSTRAINT {PgSql.Ident(prefix + name)} ON {QualifiedName} IS {PgSql.Literal(comment)}";
        foreach (var index in table.Indexes.Where(i => i.Comment != null))
            yield return $"COMMENT ON INDEX {PgSql.Table(Schema, prefix + index.Name)} IS {PgSql.Literal(index.Comment!)}";
        foreach (var trigger in table.Triggers?.Where(t => t.Comment != null) ?? [])
            yield return $"COMMENT ON TRIGGER {PgSql.Ident(trigger.Name)} ON {QualifiedName} IS {PgSql.Literal(trigger.Comment!)}";
        foreach (var sequence in table.Sequences.Where(s => s.Comment != null))
            yield return $"COMMENT ON SEQUENCE {SequenceName(sequence)} IS {PgSql.Literal(sequence.Comment!)}";
    }

    /// <summary>Owner first (it carries the owned sequences along), then exactly the recorded privileges.</summary>
    public IEnumerable<string> PrivilegeStatements()
    {
        if (table.Owner == null) yield break;
        yield return $"ALTER TABLE {QualifiedName} OWNER TO {PgSql.Ident(table.Owner)}";
        foreach (var statement in PgGrants.Statements($"TABLE {QualifiedName}", table.Owner, table.Grants))
            yield return statement;
        foreach (var column in table.Columns.Where(c => c.Grants != null))
            foreach (var statement in PgGrants.ColumnStatements(QualifiedName, column.Name, column.Grants!))
                yield return statement;
        foreach (var sequence in table.Sequences)
            foreach (var statement in PgGrants.Statements($"SEQUENCE {SequenceName(sequence)}", table.Owner, sequence.Grants))
                yield return statement;
    }

    /// <summary>The roles the privilege statements name.</summary>
    public IEnumerable<string> Roles() =>
        new[] { table.Owner }.Concat(PgGrants.Roles(table.Grants)).Concat(table.Columns.SelectMany(c => PgGrants.Roles(c.Grants)))
            .Concat(table.Sequences.SelectMany(s => PgGrants.Roles(s.Grants))).OfType<string>();

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

    /// <summary>A default with its sequence references renamed; schema artifacts of version 1 did not record how they print, so there an owned sequence's nextval is rebuilt.</summary>
    private string Default(PgColumn column, List<PgSequence> serials)
    {
        var serial = serials.FirstOrDefault(s => s.Column == column.Name);
        if (serial is { Printed: null } && column.Default!.StartsWith("nextval(", StringComparison.Ordinal))
            return $"nextval({PgSql.Literal(SequenceName(serial))}::regclass)";
        return renames.Expression(column.Default!);
    }

    // An identity sequence takes its column's type, so AS appears only in CREATE SEQUENCE.
    internal static string SequenceOptions(PgSequence s) =>
        $" START WITH {s.Start} INCREMENT BY {s.Increment} MINVALUE {s.Min} MAXVALUE {s.Max} CACHE {s.Cache}{(s.Cycle ? " CYCLE" : " NO CYCLE")}";

    private static string ReplaceFirst(string text, string find, string replacement)
    {
        var at = text.IndexOf(find, StringComparison.Ordinal);
        return at < 0 ? text : text[..at] + replacement + text[(at + find.Length)..];
    }
}
