namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>SQL text helpers: identifiers are always quoted, so any name (mixed case, spaces, quotes) survives.</summary>
internal static class PgSql
{
    public static string Ident(string name) => "\"" + name.Replace("\"", "\"\"") + "\"";

    public static string Table(string schema, string name) => $"{Ident(schema)}.{Ident(name)}";

    public static string Literal(string text) => "'" + text.Replace("'", "''") + "'";

    public static string ColumnList(IEnumerable<string> columns) => string.Join(", ", columns.Select(Ident));
}
