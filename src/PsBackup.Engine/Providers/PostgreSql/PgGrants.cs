namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>
/// GRANT and REVOKE statements that give an object exactly its recorded privileges (restored only
/// with -IncludePrivileges). A null list is PostgreSQL's default ACL: nothing to do. Otherwise the
/// defaults are revoked first, so the result matches the source even where a destination's default
/// privileges (ALTER DEFAULT PRIVILEGES) would grant more.
/// </summary>
internal static class PgGrants
{
    /// <param name="target">"TABLE public.t", "SEQUENCE public.s", "FUNCTION public.f()" …</param>
    public static IEnumerable<string> Statements(string target, string owner, List<PgGrant>? grants)
    {
        if (grants == null) yield break;
        yield return $"REVOKE ALL ON {target} FROM PUBLIC";
        yield return $"REVOKE ALL ON {target} FROM {PgSql.Ident(owner)}";
        foreach (var group in grants.GroupBy(g => (g.Grantee, g.Grantable)))
            yield return $"GRANT {string.Join(", ", group.Select(g => g.Privilege))} ON {target} TO {Grantee(group.Key.Grantee)}{(group.Key.Grantable ? " WITH GRANT OPTION" : "")}";
    }

    public static IEnumerable<string> ColumnStatements(string table, string column, List<PgGrant> grants) =>
        grants.GroupBy(g => (g.Grantee, g.Grantable)).Select(group =>
            $"GRANT {string.Join(", ", group.Select(g => $"{g.Privilege} ({PgSql.Ident(column)})"))} ON TABLE {table} TO {Grantee(group.Key.Grantee)}{(group.Key.Grantable ? " WITH GRANT OPTION" : "")}");

    public static IEnumerable<string> Roles(List<PgGrant>? grants) => grants?.Select(g => g.Grantee).OfType<string>() ?? [];

    private static string Grantee(string? role) => role == null ? "PUBLIC" : PgSql.Ident(role);
}
