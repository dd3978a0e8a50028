namespace PsBackup.Engine.Providers.PostgreSql;

// What a backup records about each table (the "schema" artifact): enough to recreate it in an
// empty database. Types, defaults and constraint bodies are PostgreSQL's own text
// (format_type, pg_get_expr, pg_get_constraintdef), so they re-parse exactly.

internal sealed class PgTableDefinition
{
    public string Schema { get; set; } = "";
    public string Name { get; set; } = "";

    /// <summary>
    /// The artifacts holding this table's rows in a full backup, in order: one binary COPY each.
    /// A large table is split by block ranges (ctid), so its parts compress in parallel.
    /// </summary>
    public List<PgDataPart> Data { get; set; } = [];

    /// <summary>pg_relation_size when the backup started: decides the parts.</summary>
    public long Bytes { get; set; }

    public List<PgColumn> Columns { get; set; } = [];
    public List<PgConstraint> Constraints { get; set; } = [];
    public List<PgIndex> Indexes { get; set; } = [];
    public List<PgSequence> Sequences { get; set; } = [];

    /// <summary>Columns of the replica identity (the primary key by default): how incrementals find a changed row.</summary>
    public List<string> KeyColumns { get; set; } = [];

    /// <summary>d (primary key), i (index), f (full row) or n (nothing: updates and deletes cannot be captured).</summary>
    public string ReplicaIdentity { get; set; } = "d";

    public string QualifiedName => $"{Schema}.{Name}";

    /// <summary>Columns COPY carries: generated columns are computed again on restore.</summary>
    public IEnumerable<PgColumn> StoredColumns => Columns.Where(c => c.Generated == null);
}

/// <summary>One part of a table's rows: blocks [FirstBlock, EndBlock) — EndBlock null for "to the end".</summary>
internal sealed class PgDataPart
{
    public string Artifact { get; set; } = "";
    public long FirstBlock { get; set; }
    public long? EndBlock { get; set; }
}

internal sealed class PgColumn
{
    public string Name { get; set; } = "";

    /// <summary>format_type() text, e.g. "numeric(12,2)", "text[]", "timestamp with time zone".</summary>
    public string Type { get; set; } = "";

    public bool NotNull { get; set; }
    public string? Default { get; set; }

    /// <summary>"always" or "by default" for identity columns.</summary>
    public string? Identity { get; set; }

    /// <summary>The expression of a GENERATED ALWAYS AS (…) STORED column.</summary>
    public string? Generated { get; set; }

    public string? Collation { get; set; }
}

/// <summary>Primary key (p), unique (u), check (c) or exclusion (x) constraint.</summary>
internal sealed class PgConstraint
{
    public string Name { get; set; } = "";
    public string Type { get; set; } = "";
    public string Definition { get; set; } = "";
}

/// <summary>An index that no constraint owns. Definition is pg_get_indexdef from " USING …" on.</summary>
internal sealed class PgIndex
{
    public string Name { get; set; } = "";
    public bool Unique { get; set; }
    public string Definition { get; set; } = "";
}

/// <summary>A sequence owned by a column (serial or identity) and where it stood.</summary>
internal sealed class PgSequence
{
    public string Schema { get; set; } = "";
    public string Name { get; set; } = "";
    public string Column { get; set; } = "";
    public string Type { get; set; } = "bigint";
    public long Start { get; set; }
    public long Increment { get; set; }
    public long Min { get; set; }
    public long Max { get; set; }
    public long Cache { get; set; }
    public bool Cycle { get; set; }
    public long LastValue { get; set; }
    public bool IsCalled { get; set; }
}
