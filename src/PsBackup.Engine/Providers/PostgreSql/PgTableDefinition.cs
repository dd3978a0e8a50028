namespace PsBackup.Engine.Providers.PostgreSql;

// What a backup records about each table (the "schema" artifact): enough to recreate it in an
// empty database. Types, defaults and constraint bodies are PostgreSQL's own text
// (format_type, pg_get_expr, pg_get_constraintdef, pg_get_triggerdef), so they re-parse exactly.
// Format version 2 added partitioning, foreign keys, triggers, comments, privileges, the COPY
// format and the columns' type OIDs; a version 1 document simply has none of them.

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

    /// <summary>The index of REPLICA IDENTITY USING INDEX (i).</summary>
    public string? ReplicaIdentityIndex { get; set; }

    /// <summary>CREATE UNLOGGED TABLE.</summary>
    public bool Unlogged { get; set; }

    /// <summary>Storage parameters (reloptions: "fillfactor=70" …), null when none.</summary>
    public List<string>? Options { get; set; }

    /// <summary>"RANGE (payment_date)" for a partitioned table (pg_get_partkeydef); null otherwise. A partitioned table holds no rows itself.</summary>
    public string? PartitionKey { get; set; }

    /// <summary>For a partition: its parent (schema and name) and bound ("FOR VALUES …" or "DEFAULT").</summary>
    public PgName? PartitionOf { get; set; }
    public string? PartitionBound { get; set; }

    /// <summary>
    /// "text" when the rows were copied in COPY's text format: binary COPY embeds the type OIDs of
    /// array elements and composite fields, which differ in another database for user-defined types.
    /// Null: binary.
    /// </summary>
    public string? CopyFormat { get; set; }

    public List<PgForeignKey>? ForeignKeys { get; set; }
    public List<PgTrigger>? Triggers { get; set; }
    public string? Comment { get; set; }

    /// <summary>Restored only with -IncludePrivileges (the roles may not exist at the destination).</summary>
    public string? Owner { get; set; }

    /// <summary>The table's privileges when not the default (null: the default, nothing to grant).</summary>
    public List<PgGrant>? Grants { get; set; }

    /// <summary>quote_ident(schema) || '.' || quote_ident(name): how PostgreSQL prints the table inside definitions (triggers).</summary>
    public string? PrintedName { get; set; }

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

    /// <summary>The type's OID in the source database: an incremental checks the columns still have it.</summary>
    public uint TypeOid { get; set; }

    public string? Comment { get; set; }

    /// <summary>Column privileges (GRANT SELECT (col) …); null when none.</summary>
    public List<PgGrant>? Grants { get; set; }
}

/// <summary>Primary key (p), unique (u), check (c) or exclusion (x) constraint.</summary>
internal sealed class PgConstraint
{
    public string Name { get; set; } = "";
    public string Type { get; set; } = "";
    public string Definition { get; set; } = "";

    /// <summary>On a partition: the parent's index this constraint's index is attached to (schema-qualified, as pg_dump's ALTER INDEX … ATTACH PARTITION).</summary>
    public PgName? ParentIndex { get; set; }

    public string? Comment { get; set; }
}

/// <summary>An index that no constraint owns. Definition is pg_get_indexdef from " USING …" on.</summary>
internal sealed class PgIndex
{
    public string Name { get; set; } = "";
    public bool Unique { get; set; }
    public string Definition { get; set; } = "";

    /// <summary>On a partition: the partitioned table's index this one is attached to.</summary>
    public PgName? ParentIndex { get; set; }

    public string? Comment { get; set; }
}

/// <summary>
/// A foreign key, added after the rows are loaded. One to a table outside the collection is
/// recorded too, but restored only on request (-IncludeExternalForeignKeys).
/// </summary>
internal sealed class PgForeignKey
{
    public string Name { get; set; } = "";

    /// <summary>pg_get_constraintdef: "FOREIGN KEY (a) REFERENCES public.t(b) ON DELETE CASCADE".</summary>
    public string Definition { get; set; } = "";

    public PgName References { get; set; } = new();

    /// <summary>How the referenced table is printed in <see cref="Definition"/> (to rename it under a prefix).</summary>
    public string ReferencesPrinted { get; set; } = "";

    public string? Comment { get; set; }
}

/// <summary>A trigger (not a foreign key's internal one, nor a partition's clone of its parent's).</summary>
internal sealed class PgTrigger
{
    public string Name { get; set; } = "";

    /// <summary>pg_get_triggerdef: "CREATE TRIGGER … ON public.t FOR EACH ROW EXECUTE FUNCTION public.f()".</summary>
    public string Definition { get; set; } = "";

    /// <summary>pg_trigger.tgenabled: O (enabled), D (disabled), R (replica), A (always).</summary>
    public string Enabled { get; set; } = "O";

    public string? Comment { get; set; }
}

/// <summary>One privilege of one role (null grantee: PUBLIC), from aclexplode.</summary>
internal sealed class PgGrant
{
    public string? Grantee { get; set; }
    public string Privilege { get; set; } = "";
    public bool Grantable { get; set; }
}

/// <summary>A schema-qualified name.</summary>
internal sealed class PgName
{
    public string Schema { get; set; } = "";
    public string Name { get; set; } = "";

    public override string ToString() => $"{Schema}.{Name}";
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

    /// <summary>regclass text as defaults print it ("public.t_id_seq"), to rename references under a prefix.</summary>
    public string? Printed { get; set; }

    public string? Comment { get; set; }
    public List<PgGrant>? Grants { get; set; }
}
