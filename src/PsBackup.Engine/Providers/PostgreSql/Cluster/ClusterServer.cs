using System.Net;
using Npgsql;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Providers.PostgreSql.Cluster;

/// <summary>What a cluster backup needs to know of the server, and the WAL switch an incremental forces.</summary>
internal sealed record ClusterServer(long WalSegmentSize, int ServerVersion, string SystemIdentifier, string ArchiveMode, string? ArchiveCommand, bool InRecovery,
    string? ArchiveLibrary = null)
{
    public static async Task<ClusterServer> ReadAsync(PostgreSqlClusterTarget target, NetworkCredential? credential, CancellationToken ct)
    {
        var builder = PgConnections.Builder(target, "postgres", credential);
        await using var connection = await PgConnections.OpenAsync(builder, ct).ConfigureAwait(false);
        try
        {
            // pg_settings hides archive_command from roles that may not read it; then it is simply not checked.
            await using var command = new NpgsqlCommand("""
                SELECT (SELECT setting::bigint FROM pg_settings WHERE name = 'wal_segment_size'),
                       current_setting('server_version_num')::int,
                       current_setting('archive_mode'),
                       (SELECT setting FROM pg_settings WHERE name = 'archive_command'),
                       pg_is_in_recovery(),
                       (SELECT setting FROM pg_settings WHERE name = 'archive_library')
                """, connection);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await reader.ReadAsync(ct).ConfigureAwait(false);
            var server = new ClusterServer(reader.GetInt64(0), reader.GetInt32(1), "", reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetBoolean(4), reader.IsDBNull(5) ? null : reader.GetString(5));
            await reader.DisposeAsync().ConfigureAwait(false);
            return server with { SystemIdentifier = await SystemIdentifierAsync(connection, ct).ConfigureAwait(false) };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw PgConnections.Translate(e, builder);
        }
    }

    private static async Task<string> SystemIdentifierAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        try
        {
            await using var command = new NpgsqlCommand("SELECT system_identifier::text FROM pg_control_system()", connection);
            return (string?)await command.ExecuteScalarAsync(ct).ConfigureAwait(false) ?? "";
        }
        catch (PostgresException)
        {
            return ""; // not allowed to this role: recorded only for information
        }
    }

    /// <summary>pg_switch_wal(): closes the current segment so archive_command takes it. Returns the switch's end and the closed segment's name.</summary>
    public static async Task<(Lsn End, string Segment, int Timeline)> SwitchWalAsync(PostgreSqlClusterTarget target, NetworkCredential? credential, CancellationToken ct)
    {
        var builder = PgConnections.Builder(target, "postgres", credential);
        await using var connection = await PgConnections.OpenAsync(builder, ct).ConfigureAwait(false);
        try
        {
            await using var command = new NpgsqlCommand("""
                SELECT s::text, pg_walfile_name(s)
                FROM pg_switch_wal() AS s
                """, connection);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await reader.ReadAsync(ct).ConfigureAwait(false);
            var segment = reader.GetString(1);
            return (Lsn.Parse(reader.GetString(0)), segment, WalFileName.Timeline(segment));
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new TargetAuthenticationException(
                $"PostgreSQL {builder.Host}:{builder.Port}: user '{builder.Username}' may not run pg_switch_wal(), which an incremental backup of a cluster needs: " +
                $"GRANT EXECUTE ON FUNCTION pg_switch_wal() TO {builder.Username}; (or use a superuser).", e);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw PgConnections.Translate(e, builder);
        }
    }
}
