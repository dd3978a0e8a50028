using System.Net;
using Npgsql;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>
/// Where a PostgreSQL restore writes. -Destination may be omitted (the target's own database),
/// a database name on the target's server, a postgresql:// URI, or an Npgsql connection string
/// (Host=…;Database=…). The login comes from -Credential, else from the URI or connection
/// string, else from PGPASSWORD/.pgpass.
/// </summary>
internal static class PgDestination
{
    public static NpgsqlConnectionStringBuilder Resolve(PostgreSqlTarget target, string? destination, NetworkCredential? credential)
    {
        if (string.IsNullOrWhiteSpace(destination))
            return PgConnections.Builder(target, target.Database, credential);
        if (destination.Contains("://", StringComparison.Ordinal))
            return FromUri(target, destination, credential);
        if (destination.Contains('='))
        {
            NpgsqlConnectionStringBuilder given;
            try { given = new NpgsqlConnectionStringBuilder(destination); }
            catch (ArgumentException e) { throw Invalid(destination, e.Message); }
            var builder = PgConnections.Builder(new PostgreSqlConnectionParts(given.Host ?? target.Host, given.Port, given.Username ?? target.UserName, target.SslMode),
                given.Database ?? target.Database, credential);
            if (credential == null && given.Password != null) builder.Password = given.Password;
            return builder;
        }
        return PgConnections.Builder(target, destination, credential);
    }

    private static NpgsqlConnectionStringBuilder FromUri(PostgreSqlTarget target, string destination, NetworkCredential? credential)
    {
        if (!Uri.TryCreate(destination, UriKind.Absolute, out var uri) || uri.Scheme is not ("postgresql" or "postgres"))
            throw Invalid(destination, "a URI must look like postgresql://[user[:password]@]host[:port]/database");
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        var user = uri.UserInfo.Split(':', 2);
        var parts = new PostgreSqlConnectionParts(uri.Host, uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
            user[0].Length > 0 ? Uri.UnescapeDataString(user[0]) : target.UserName, target.SslMode);
        var builder = PgConnections.Builder(parts, database.Length > 0 ? database : target.Database, credential);
        if (credential == null && user.Length == 2) builder.Password = Uri.UnescapeDataString(user[1]);
        return builder;
    }

    private static InvalidBackupRequestException Invalid(string destination, string why) =>
        new("InvalidDestination", $"-Destination '{SecretMasker.Hide(destination)}' is not a PostgreSQL database: {why}. " +
            "Give a database name, postgresql://host:port/database, or Host=…;Port=…;Database=….");

    /// <summary>A server address without a stored target, for destinations.</summary>
    private sealed class PostgreSqlConnectionParts : PostgreSqlServerTarget
    {
        public PostgreSqlConnectionParts(string host, int port, string? user, string? sslMode) =>
            (Host, Port, UserName, SslMode) = (host, port, user, sslMode);

        public override string Kind => "PostgreSql";
        public override string Location => $"{Host}:{Port}";
    }
}
