using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>Builds validated PostgreSQL table targets (New-BackupTarget -PostgreSql).</summary>
public static class PgTargets
{
    /// <summary>
    /// A PostgreSQL table target. A connection string may give host, port, database and user
    /// instead; its password is never stored (<paramref name="droppedPassword"/> tells the caller).
    /// </summary>
    public static PostgreSqlTarget Create(string? server, int? port, string? database, string[]? tables, string? userName,
        string? sslMode, string? connectionString, string? name, out bool droppedPassword)
    {
        droppedPassword = false;
        var target = new PostgreSqlTarget { Host = server ?? "localhost", Port = port ?? 5432, Database = database ?? "", UserName = userName, SslMode = sslMode };
        if (!string.IsNullOrEmpty(connectionString))
        {
            Npgsql.NpgsqlConnectionStringBuilder given;
            try { given = new Npgsql.NpgsqlConnectionStringBuilder(connectionString); }
            catch (ArgumentException e) { throw new InvalidBackupRequestException("InvalidConnectionString", $"-ConnectionString is not a valid PostgreSQL connection string: {e.Message}"); }
            target.Host = server ?? given.Host ?? target.Host;
            target.Port = port ?? given.Port;
            target.Database = database ?? given.Database ?? "";
            target.UserName = userName ?? given.Username;
            target.SslMode = sslMode ?? (given.SslMode == Npgsql.SslMode.Prefer ? null : given.SslMode.ToString());
            droppedPassword = !string.IsNullOrEmpty(given.Password);
        }
        if (string.IsNullOrWhiteSpace(target.Database))
            throw new InvalidBackupRequestException("DatabaseRequired", "A PostgreSQL target needs a database: give -Database, or Database= in -ConnectionString.");
        if (target.SslMode != null && !Enum.TryParse<Npgsql.SslMode>(target.SslMode, ignoreCase: true, out _))
            throw new InvalidBackupRequestException("InvalidSslMode", $"-SslMode '{target.SslMode}' is not one of: {string.Join(", ", Enum.GetNames<Npgsql.SslMode>())}.");
        target.Tables = (tables ?? []).Select(t => t.Trim()).Where(t => t.Length > 0).ToArray();
        foreach (var table in target.Tables)
            if (table.Count(c => c == '.') > 1)
                throw new InvalidBackupRequestException("InvalidTableName", $"Table '{table}' must be 'schema.table' or 'table' (quote nothing; names are matched as written).");
        target.Name = string.IsNullOrEmpty(name) ? Names.From(target.Database) : name;
        Names.Validate(target.Name, "Target");
        return target;
    }
}
