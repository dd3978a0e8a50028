using Npgsql;
using PsBackup.Engine.Tests.Peers;

namespace PsBackup.Engine.Tests.PostgreSql;

/// <summary>
/// A database of its own on the test primary, dropped (with any replication slots on it) when
/// disposed, so tests never see each other's tables or slots.
/// </summary>
public sealed class PgTestDatabase : IAsyncDisposable
{
    private PgTestDatabase(string name) => Name = name;

    public string Name { get; }

    public static async Task<PgTestDatabase> CreateAsync(string purpose)
    {
        var name = $"psb_{purpose}_{Guid.NewGuid():N}"[..Math.Min(40, 14 + purpose.Length)];
        await using var admin = await TestPeers.OpenPrimaryAsync();
        await Exec(admin, $"CREATE DATABASE \"{name}\"");
        return new PgTestDatabase(name);
    }

    public PostgreSqlTarget Target(string name = "db", params string[] tables) => new()
    {
        Name = name, Host = TestPeers.PgHost, Port = TestPeers.PgPort, UserName = TestPeers.PgUser, Database = Name, Tables = tables,
    };

    public Task<NpgsqlConnection> OpenAsync() => TestPeers.OpenPrimaryAsync(Name);

    public async Task ExecAsync(string sql)
    {
        await using var connection = await OpenAsync();
        await Exec(connection, sql);
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// Every row of a table as PostgreSQL prints it, in key order, reduced to an md5 plus a count:
    /// two tables are equal row for row, value for value, exactly when these match.
    /// </summary>
    public Task<string> FingerprintAsync(string table, string orderBy = "1") =>
        ScalarAsync<string>($"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY {orderBy})), '-') FROM {table} t");

    public static async Task Exec(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 300 };
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await using var admin = await TestPeers.OpenPrimaryAsync();
        await Exec(admin, $"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '{Name}' AND NOT active");
        await Exec(admin, $"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)");
    }
}
