namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>
/// The statements that create a recorded dependency (and drop it again when the restore that
/// created it fails), its comments and, on request, its owner and privileges. Sequences are the
/// only dependencies a prefix renames: a restore drill sets their positions, and must not move the
/// originals'. Types, functions, schemas and extensions are shared with the originals when identical.
/// </summary>
internal sealed class PgDependencyDdl(PgDependency dependency, string prefix)
{
    public PgDependency Dependency => dependency;

    /// <summary>The name it has at the destination.</summary>
    public string Name => dependency.Kind == PgDependency.SequenceKind ? prefix + dependency.Name : dependency.Name;

    private string Qualified => PgSql.Table(dependency.Schema, Name);

    /// <summary>"TYPE public.mood", "FUNCTION public.f()" …: how ALTER, COMMENT ON, GRANT and DROP name it.</summary>
    private string Target => dependency.Kind switch
    {
        PgDependency.SchemaKind => $"SCHEMA {PgSql.Ident(Name)}",
        PgDependency.ExtensionKind => $"EXTENSION {PgSql.Ident(Name)}",
        PgDependency.DomainKind => $"DOMAIN {Qualified}",
        PgDependency.FunctionKind => $"FUNCTION {dependency.Signature}",
        PgDependency.SequenceKind => $"SEQUENCE {Qualified}",
        _ => $"TYPE {Qualified}",
    };

    public IEnumerable<string> CreateStatements()
    {
        var d = dependency;
        switch (d.Kind)
        {
            case PgDependency.SchemaKind:
                yield return $"CREATE SCHEMA IF NOT EXISTS {PgSql.Ident(Name)}";
                break;
            case PgDependency.ExtensionKind:
                // The destination's default version: the recorded one may not be installed there (a warning says so).
                yield return $"CREATE EXTENSION IF NOT EXISTS {PgSql.Ident(Name)} WITH SCHEMA {PgSql.Ident(d.Schema)} CASCADE";
                break;
            case PgDependency.EnumKind:
                yield return $"CREATE TYPE {Qualified} AS ENUM ({string.Join(", ", d.Labels!.Select(PgSql.Literal))})";
                break;
            case PgDependency.DomainKind:
                yield return $"CREATE DOMAIN {Qualified} AS {d.BaseType}" +
                             (d.Collation != null ? $" COLLATE {d.Collation}" : "") +
                             (d.Default != null ? $" DEFAULT {d.Default}" : "") +
                             (d.NotNull ? " NOT NULL" : "");
                foreach (var constraint in d.Constraints ?? [])
                    yield return $"ALTER DOMAIN {Qualified} ADD CONSTRAINT {PgSql.Ident(constraint.Name)} {constraint.Definition}";
                break;
            case PgDependency.CompositeKind:
                yield return $"CREATE TYPE {Qualified} AS ({string.Join(", ", (d.Attributes ?? []).Select(a =>
                    $"{PgSql.Ident(a.Name)} {a.Type}{(a.Collation != null ? $" COLLATE {a.Collation}" : "")}"))})";
                break;
            case PgDependency.RangeKind:
                var options = new List<string> { $"SUBTYPE = {d.Subtype}" };
                if (d.SubtypeOpclass != null) options.Add($"SUBTYPE_OPCLASS = {d.SubtypeOpclass}");
                if (d.Collation != null) options.Add($"COLLATION = {d.Collation}");
                if (d.Canonical != null) options.Add($"CANONICAL = {d.Canonical}");
                if (d.SubtypeDiff != null) options.Add($"SUBTYPE_DIFF = {d.SubtypeDiff}");
                if (d.Multirange != null) options.Add($"MULTIRANGE_TYPE_NAME = {d.Multirange}");
                yield return $"CREATE TYPE {Qualified} AS RANGE ({string.Join(", ", options)})";
                break;
            case PgDependency.FunctionKind:
                yield return d.Definition!;
                break;
            case PgDependency.SequenceKind:
                yield return $"CREATE SEQUENCE {Qualified} AS {d.Sequence!.Type}{PgDdl.SequenceOptions(d.Sequence)}";
                break;
        }
    }

    public string DropStatement() => dependency.Kind switch
    {
        PgDependency.FunctionKind or PgDependency.SequenceKind or PgDependency.SchemaKind or PgDependency.ExtensionKind or PgDependency.DomainKind
            => $"DROP {Target}",
        _ => $"DROP TYPE {Qualified}",
    };

    public IEnumerable<string> CommentStatements()
    {
        // An extension's comment comes with it (its script sets it).
        if (dependency.Comment != null && dependency.Kind != PgDependency.ExtensionKind)
            yield return $"COMMENT ON {Target} IS {PgSql.Literal(dependency.Comment)}";
        foreach (var constraint in dependency.Constraints?.Where(c => c.Comment != null) ?? [])
            yield return $"COMMENT ON CONSTRAINT {PgSql.Ident(constraint.Name)} ON DOMAIN {Qualified} IS {PgSql.Literal(constraint.Comment!)}";
        foreach (var attribute in dependency.Attributes?.Where(a => a.Comment != null) ?? [])
            yield return $"COMMENT ON COLUMN {Qualified}.{PgSql.Ident(attribute.Name)} IS {PgSql.Literal(attribute.Comment!)}";
    }

    public IEnumerable<string> PrivilegeStatements()
    {
        if (dependency.Owner == null || dependency.Kind == PgDependency.ExtensionKind) yield break;
        yield return $"ALTER {Target} OWNER TO {PgSql.Ident(dependency.Owner)}";
        // GRANT … ON DOMAIN is GRANT … ON TYPE; a sequence's privileges are granted as a sequence's.
        var target = dependency.Kind == PgDependency.DomainKind ? $"TYPE {Qualified}" : Target;
        foreach (var statement in PgGrants.Statements(target, dependency.Owner, dependency.Grants))
            yield return statement;
    }

    public IEnumerable<string> Roles() => new[] { dependency.Owner }.Concat(PgGrants.Roles(dependency.Grants)).OfType<string>();

    public string? SequenceStatement(PgSequence? latest)
    {
        var sequence = latest ?? dependency.Sequence;
        return sequence == null ? null : $"SELECT setval({PgSql.Literal(Qualified)}, {sequence.LastValue}, {(sequence.IsCalled ? "true" : "false")})";
    }
}
