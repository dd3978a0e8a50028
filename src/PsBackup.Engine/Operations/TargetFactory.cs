using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Operations;

/// <summary>Builds validated targets (New-BackupTarget), deriving a default name from the location.</summary>
public static class TargetFactory
{
    public static FileTreeTarget FileTree(string fullPath, string? name, string[]? include, string[]? exclude)
    {
        if (!Path.IsPathFullyQualified(fullPath))
            throw new InvalidBackupRequestException("RelativeTargetPath", $"Path '{fullPath}' must be absolute.");
        var path = Path.TrimEndingDirectorySeparator(Path.GetFullPath(fullPath));
        if (!Directory.Exists(path))
            throw new TargetUnavailableException(File.Exists(path)
                ? $"'{path}' is a file; a file-tree target is a directory."
                : $"Directory '{path}' does not exist.") { TargetObject = path };
        var targetName = string.IsNullOrEmpty(name) ? Names.From(Path.GetFileName(path)) : name;
        Names.Validate(targetName, "Target");
        return new FileTreeTarget { Name = targetName, Path = path, Include = include ?? [], Exclude = exclude ?? [] };
    }

    /// <summary>
    /// A PostgreSQL table target. A connection string may give host, port, database and user
    /// instead; its password is never stored (<paramref name="droppedPassword"/> tells the caller).
    /// </summary>
    public static PostgreSqlTarget PostgreSql(string? server, int? port, string? database, string[]? tables, string? userName,
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

    /// <summary>A PostgreSQL cluster at "host", "host:port" or "[ipv6]:port" (default port 5432).</summary>
    public static PostgreSqlClusterTarget PostgreSqlCluster(string server, int? portOverride, string? name, string? userName, string? sslMode = null)
    {
        var (host, port) = HostPort(server);
        port = portOverride ?? port;
        var targetName = string.IsNullOrEmpty(name) ? Names.From($"{host}-{port}") : name;
        Names.Validate(targetName, "Target");
        if (sslMode != null && !Enum.TryParse<Npgsql.SslMode>(sslMode, ignoreCase: true, out _))
            throw new InvalidBackupRequestException("InvalidSslMode", $"SSL mode '{sslMode}' is not one of Disable, Allow, Prefer, Require, VerifyCA, VerifyFull.");
        return new PostgreSqlClusterTarget { Name = targetName, Host = host, Port = port, UserName = userName, SslMode = sslMode };
    }

    private static (string Host, int Port) HostPort(string server)
    {
        var colon = server.LastIndexOf(':');
        var bracketed = server.StartsWith('[');
        if (colon < 0 || (bracketed && colon < server.IndexOf(']')) || (!bracketed && server.IndexOf(':') != colon))
            return (server.Trim('[', ']'), 5432);
        if (!int.TryParse(server[(colon + 1)..], out var port) || port is < 1 or > 65535)
            throw new InvalidBackupRequestException("InvalidServer", $"'{server}' is not host:port (port 1–65535).");
        return (server[..colon].Trim('[', ']'), port);
    }

    /// <summary>
    /// A Redis target. Without a mode: Logical when databases or key patterns are given, else
    /// Snapshot (a snapshot is always of the whole server, so it takes neither).
    /// </summary>
    public static RedisTarget Redis(string[] endpoints, string? name, string? userName, bool useTls,
        RedisBackupMode? mode, int[]? databases, string[]? keyPatterns)
    {
        if (endpoints.Length == 0)
            throw new InvalidBackupRequestException("InvalidRedisEndpoint", "Give at least one Redis endpoint (host:port).");
        var tls = useTls;
        foreach (var endpoint in endpoints)
        {
            Providers.Redis.RedisEndpoint.Parse(endpoint, out var rediss);
            tls |= rediss;
        }
        databases ??= [];
        keyPatterns ??= [];
        if (databases.Any(d => d < 0))
            throw new InvalidBackupRequestException("InvalidRedisDatabase", $"Redis database numbers are 0 or more, not {databases.First(d => d < 0)}.");
        if (keyPatterns.Any(string.IsNullOrEmpty))
            throw new InvalidBackupRequestException("InvalidKeyPattern", "A key pattern is empty; use '*' for every key.");
        var selective = databases.Length > 0 || keyPatterns.Length > 0;
        if (mode == RedisBackupMode.Snapshot && selective)
            throw new InvalidBackupRequestException("RedisSnapshotIsWholeServer",
                "A Redis snapshot always holds the whole server: -Database and -KeyPattern need -Mode Logical.");
        var first = Providers.Redis.RedisEndpoint.Parse(endpoints[0], out _);
        var targetName = string.IsNullOrEmpty(name) ? Names.From($"redis-{first.Host}-{first.Port}") : name;
        Names.Validate(targetName, "Target");
        return new RedisTarget
        {
            Name = targetName,
            Endpoints = endpoints,
            UserName = string.IsNullOrEmpty(userName) ? null : userName,
            UseTls = tls,
            Mode = mode ?? (selective ? RedisBackupMode.Logical : RedisBackupMode.Snapshot),
            Databases = databases.Distinct().Order().ToArray(),
            KeyPatterns = keyPatterns,
        };
    }
}
