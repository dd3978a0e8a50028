using System.Security.Cryptography;
using System.Text;
using Npgsql;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>
/// The logical replication slot and publication of one collection target. The target hash covers
/// repository id, collection and target, so two repositories (or a copy) never touch each
/// other's slots. Each full backup
/// creates a new slot (psbackup_&lt;target hash&gt;_&lt;random&gt;) at exactly the snapshot it copies;
/// older slots of the target are dropped once a newer backup is committed, so a failed full
/// never breaks the chain that still works. The publication (psbackup_&lt;target hash&gt;) lists
/// exactly the chain's tables.
/// </summary>
internal static class PgSlots
{
    public static string Prefix(string repositoryId, string collection, string target)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(repositoryId + "\0" + collection + "\0" + target));
        return "psbackup_" + Convert.ToHexString(hash, 0, 6).ToLowerInvariant();
    }

    public static string NewSlotName(string prefix) => $"{prefix}_{Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant()}";

    public static async Task RequireLogicalWalAsync(NpgsqlConnection connection, string server, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT current_setting('wal_level'), current_setting('max_replication_slots')::int", connection);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await reader.ReadAsync(ct).ConfigureAwait(false);
        var walLevel = reader.GetString(0);
        if (walLevel != "logical")
            throw new PsBackupException("WalLevelTooLow", ErrorKind.InvalidArgument,
                $"{server} runs with wal_level = {walLevel}; incremental backups read changes through logical decoding. " +
                "Set wal_level = logical (and max_replication_slots and max_wal_senders of at least 1 more than in use) in postgresql.conf and restart PostgreSQL, " +
                "or create the collection without -IncrementalBackupEnabled.");
        if (reader.GetInt32(1) < 1)
            throw new PsBackupException("WalLevelTooLow", ErrorKind.InvalidArgument,
                $"{server} has max_replication_slots = 0; set it to at least 1 in postgresql.conf and restart PostgreSQL.");
    }

    /// <summary>Creates the publication, or sets its tables to exactly these.</summary>
    public static async Task PublishAsync(NpgsqlConnection connection, string publication, IEnumerable<PgTableDefinition> tables, CancellationToken ct)
    {
        var list = string.Join(", ", tables.Select(t => PgSql.Table(t.Schema, t.Name)));
        await using var exists = new NpgsqlCommand("SELECT count(*) FROM pg_publication WHERE pubname = @name", connection);
        exists.Parameters.AddWithValue("name", publication);
        var sql = (long)(await exists.ExecuteScalarAsync(ct).ConfigureAwait(false))! == 0
            ? $"CREATE PUBLICATION {PgSql.Ident(publication)} FOR TABLE {list}"
            : $"ALTER PUBLICATION {PgSql.Ident(publication)} SET TABLE {list}";
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>A LIKE pattern for the target's slots: prefix_ plus anything, with '_' taken literally.</summary>
    private static string SlotsLike(string prefix) => prefix.Replace("_", "\\_") + "\\_%";

    /// <summary>Drops the target's slots other than <paramref name="keep"/> (leftovers of failed or superseded fulls).</summary>
    public static async Task DropOthersAsync(NpgsqlConnection connection, string prefix, string? keep, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
            WHERE slot_name LIKE @pattern AND slot_name IS DISTINCT FROM @keep AND NOT active AND database = current_database()
            """, connection);
        command.Parameters.AddWithValue("pattern", SlotsLike(prefix));
        command.Parameters.AddWithValue("keep", (object?)keep ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Drops one slot, waiting briefly for the walsender of a just-closed connection to let go of it.</summary>
    public static async Task DropAsync(NpgsqlConnection connection, string slot, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            await using var command = new NpgsqlCommand(
                "SELECT active FROM pg_replication_slots WHERE slot_name = @slot", connection);
            command.Parameters.AddWithValue("slot", slot);
            var active = await command.ExecuteScalarAsync(ct).ConfigureAwait(false);
            if (active == null) return;
            if (active is false)
            {
                await using var drop = new NpgsqlCommand("SELECT pg_drop_replication_slot(@slot)", connection);
                drop.Parameters.AddWithValue("slot", slot);
                await drop.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                return;
            }
            if (attempt == 50) throw new TimeoutException($"replication slot '{slot}' stays in use");
            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Drops every slot and the publication of the target (Remove-BackupCollection).</summary>
    public static async Task DropAllAsync(NpgsqlConnection connection, string prefix, CancellationToken ct)
    {
        await DropOthersAsync(connection, prefix, null, ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"DROP PUBLICATION IF EXISTS {PgSql.Ident(prefix)}", connection);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The target's slots with the WAL each holds back.</summary>
    public static async Task<List<PgSlotStatus>> StatusAsync(NpgsqlConnection connection, string prefix, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT slot_name, active, confirmed_flush_lsn::text, wal_status,
                   pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint
            FROM pg_replication_slots WHERE slot_name LIKE @pattern ORDER BY slot_name
            """, connection);
        command.Parameters.AddWithValue("pattern", SlotsLike(prefix));
        var slots = new List<PgSlotStatus>();
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
            slots.Add(new PgSlotStatus(reader.GetString(0), reader.GetBoolean(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? 0 : reader.GetInt64(4)));
        return slots;
    }
}

internal sealed record PgSlotStatus(string Name, bool Active, string? ConfirmedFlushLsn, string? WalStatus, long RetainedWalBytes);
