using System.Net;
using System.Net.Sockets;
using Npgsql;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>
/// Opens connections to a PostgreSQL target and turns Npgsql's failures into errors that say what
/// to fix. Passwords come from the call's credential, else Npgsql's own PGPASSWORD/.pgpass lookup.
/// </summary>
internal static class PgConnections
{
    public static NpgsqlConnectionStringBuilder Builder(PostgreSqlServerTarget target, string? database, NetworkCredential? credential)
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = target.Host,
            Port = target.Port,
            Database = database,
            Username = !string.IsNullOrEmpty(credential?.UserName) ? credential.UserName : target.UserName,
            Timeout = 15,
            CommandTimeout = 0, // COPY of a large table runs as long as it needs
            ApplicationName = "PsBackup",
            NoResetOnClose = true,
            Pooling = false,
        };
        if (!string.IsNullOrEmpty(credential?.Password)) builder.Password = credential.Password;
        if (!string.IsNullOrEmpty(target.SslMode)) builder.SslMode = Enum.Parse<SslMode>(target.SslMode, ignoreCase: true);
        return builder;
    }

    /// <summary>
    /// libpq environment variables for a child process (pg_basebackup …) that connects to the same
    /// server: the password travels in the child's environment, never on its command line.
    /// </summary>
    public static Dictionary<string, string> LibpqEnvironment(PostgreSqlServerTarget target, NetworkCredential? credential)
    {
        var builder = Builder(target, null, credential);
        var environment = new Dictionary<string, string>
        {
            ["PGHOST"] = builder.Host!,
            ["PGPORT"] = builder.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["PGAPPNAME"] = "PsBackup",
            ["PGCONNECT_TIMEOUT"] = "15",
        };
        if (!string.IsNullOrEmpty(builder.Username)) environment["PGUSER"] = builder.Username;
        if (!string.IsNullOrEmpty(credential?.Password)) environment["PGPASSWORD"] = credential.Password;
        if (!string.IsNullOrEmpty(target.SslMode))
            environment["PGSSLMODE"] = Enum.Parse<SslMode>(target.SslMode, ignoreCase: true) switch
            {
                SslMode.VerifyCA => "verify-ca",
                SslMode.VerifyFull => "verify-full",
                var mode => mode.ToString().ToLowerInvariant(),
            };
        return environment;
    }

    public static async Task<NpgsqlConnection> OpenAsync(NpgsqlConnectionStringBuilder builder, CancellationToken ct)
    {
        var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            return connection;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw Translate(e, builder);
        }
    }

    /// <summary>Runs one statement (or several, separated by ';') for its effect.</summary>
    public static async Task ExecuteAsync(this NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The first column of the first row.</summary>
    public static async Task<T> ScalarAsync<T>(this NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    /// <summary>A PsBackupException naming the server and what to do, for failures worth explaining; other exceptions as they are.</summary>
    public static Exception Translate(Exception e, NpgsqlConnectionStringBuilder builder)
    {
        var server = $"PostgreSQL {builder.Host}:{builder.Port}";
        return e switch
        {
            PsBackupException => e,
            PostgresException { SqlState: PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification } pg =>
                new TargetAuthenticationException(
                    $"{server} refused the login of user '{builder.Username}': {pg.MessageText}. Check -Credential, PGPASSWORD or .pgpass.", e),
            PostgresException { SqlState: PostgresErrorCodes.InvalidCatalogName } =>
                new TargetUnavailableException($"{server} has no database '{builder.Database}'.", e),
            NpgsqlException { InnerException: SocketException or TimeoutException } or SocketException or TimeoutException =>
                new TargetUnavailableException($"{server} is unreachable: {(e.InnerException ?? e).Message}.", e),
            NpgsqlException when e.Message.Contains("password", StringComparison.OrdinalIgnoreCase) =>
                new TargetAuthenticationException($"{server}: {e.Message} Give -Credential, or set PGPASSWORD or a .pgpass entry.", e),
            _ => e,
        };
    }
}
