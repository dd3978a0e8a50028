namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>
/// The names a restore gives the collection's tables and sequences (prefix + name), and the
/// rewriting of recorded expressions that name them: a default's nextval('public.t_id_seq'::regclass)
/// must use the prefixed sequence, or a restore drill would advance the original's.
/// </summary>
internal sealed class PgRenames
{
    private readonly string _prefix;
    private readonly HashSet<string> _tables;
    private readonly List<(string From, string To)> _sequences;

    public PgRenames(IEnumerable<PgTableDefinition> tables, IEnumerable<PgSequence> sequences, string prefix)
    {
        _prefix = prefix;
        _tables = tables.Select(t => t.QualifiedName).ToHashSet(StringComparer.Ordinal);
        _sequences = prefix.Length == 0 ? [] : sequences.Where(s => s.Printed != null)
            .Select(s => ($"{PgSql.Literal(s.Printed!)}::regclass", $"{PgSql.Literal(PgSql.Table(s.Schema, prefix + s.Name))}::regclass"))
            .Distinct().ToList();
    }

    public bool InCollection(PgName table) => _tables.Contains(table.ToString());

    /// <summary>The restored name of a table of the collection.</summary>
    public string Table(PgName table) => PgSql.Table(table.Schema, _prefix + table.Name);

    public string Expression(string expression)
    {
        foreach (var (from, to) in _sequences)
            expression = expression.Replace(from, to, StringComparison.Ordinal);
        return expression;
    }
}
