using Newtonsoft.Json;

namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>
/// Something the tables need that is not a table (schema artifact, format version 2): a schema,
/// an extension, a user-defined type (enum, domain, composite, range), a function (a trigger's,
/// or one a default or check calls) or a sequence that a default uses without a table of the
/// collection owning it. Recorded in dependency order; a restore creates the missing ones in that
/// order, skips the ones that exist with the same definition and refuses the ones that exist
/// differently. One class for every kind: only the properties of its kind are set.
/// </summary>
internal sealed class PgDependency
{
    public const string SchemaKind = "schema", ExtensionKind = "extension", EnumKind = "enum", DomainKind = "domain",
        CompositeKind = "composite", RangeKind = "range", FunctionKind = "function", SequenceKind = "sequence";

    public string Kind { get; set; } = "";
    public string Schema { get; set; } = "";
    public string Name { get; set; } = "";

    /// <summary>Extension: the version installed at backup time (the destination's may differ: a warning).</summary>
    public string? Version { get; set; }

    /// <summary>Enum: the labels in their sort order.</summary>
    public List<string>? Labels { get; set; }

    /// <summary>Domain: base type (format_type), NOT NULL, default; its CHECK constraints by name.</summary>
    public string? BaseType { get; set; }
    public bool NotNull { get; set; }
    public string? Default { get; set; }
    public List<PgConstraint>? Constraints { get; set; }

    /// <summary>Domain, composite attribute or range: a collation other than the type's default (schema-qualified).</summary>
    public string? Collation { get; set; }

    /// <summary>Composite: the attributes (name, type, collation).</summary>
    public List<PgColumn>? Attributes { get; set; }

    /// <summary>Range: subtype, its operator class when not the default, canonical and subtype_diff functions, the multirange type's name.</summary>
    public string? Subtype { get; set; }
    public string? SubtypeOpclass { get; set; }
    public string? Canonical { get; set; }
    public string? SubtypeDiff { get; set; }
    public string? Multirange { get; set; }

    /// <summary>Function: its regprocedure text ("public.f(integer)") and pg_get_functiondef.</summary>
    public string? Signature { get; set; }
    public string? Definition { get; set; }

    /// <summary>Sequence: options and position.</summary>
    public PgSequence? Sequence { get; set; }

    public string? Comment { get; set; }
    public string? Owner { get; set; }
    public List<PgGrant>? Grants { get; set; }

    public string QualifiedName => Kind is SchemaKind or ExtensionKind ? Name : $"{Schema}.{Name}";

    /// <summary>Kind and name as a message names it: "enum public.mood".</summary>
    public string Describe() => $"{Kind} {(Kind == FunctionKind ? Signature : QualifiedName)}";

    /// <summary>
    /// What must match for an existing object to count as the same: the definition, not its owner,
    /// privileges, comment, an extension's version or a sequence's position. Not the name either:
    /// the object was looked up by name (a sequence under its prefixed one).
    /// </summary>
    public string Shape() => JsonConvert.SerializeObject(new
    {
        Kind, Labels, BaseType, NotNull, Default,
        Constraints = Constraints?.Select(c => new { c.Name, c.Definition }),
        Collation,
        Attributes = Attributes?.Select(a => new { a.Name, a.Type, a.Collation }),
        Subtype, SubtypeOpclass, Canonical, SubtypeDiff, Multirange, Definition,
        Sequence = Sequence == null ? null : new { Sequence.Type, Sequence.Start, Sequence.Increment, Sequence.Min, Sequence.Max, Sequence.Cache, Sequence.Cycle },
    });
}
