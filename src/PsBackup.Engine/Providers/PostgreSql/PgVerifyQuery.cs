using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;
using PsBackup.Engine.Providers.Capabilities;

namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>
/// Invoke-RestoreDrill -VerifyQuery on restored PostgreSQL data: the query must run, return a row,
/// and its first value must not be false, zero or NULL (so "SELECT count(*) = 1000 FROM orders"
/// and "SELECT count(*) FROM orders" both assert something). A first line "\c database" (psql's
/// meta-command) picks the database of a restored cluster.
/// </summary>
internal static partial class PgVerifyQuery
{
    public const string CheckName = "-VerifyQuery";

    /// <summary>The database a query names with a leading \c (or \connect) line, and the query without it.</summary>
    public static (string? Database, string Sql) Split(string query)
    {
        var match = ConnectLine().Match(query);
        return match.Success ? (match.Groups[1].Value.Trim('"'), query[match.Length..]) : (null, query);
    }

    public static async Task<DrillCheck> RunAsync(NpgsqlConnection connection, string query, CancellationToken ct)
    {
        const string expected = "a row whose first value is not false, zero or NULL";
        var (_, sql) = Split(query);
        try
        {
            await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (!await reader.ReadAsync(ct).ConfigureAwait(false))
                return new DrillCheck(CheckName, expected, "no row", false);
            var value = reader.IsDBNull(0) ? null : reader.GetValue(0);
            var passed = value switch
            {
                null => false,
                bool b => b,
                short or int or long or decimal or float or double => Convert.ToDecimal(value, CultureInfo.InvariantCulture) != 0,
                _ => true,
            };
            return new DrillCheck(CheckName, expected, value == null ? "NULL" : Convert.ToString(value, CultureInfo.InvariantCulture) ?? "", passed);
        }
        catch (PostgresException e)
        {
            return new DrillCheck(CheckName, expected, $"error {e.SqlState}: {e.MessageText}", false);
        }
    }

    [GeneratedRegex(@"^\s*\\c(?:onnect)?\s+(""[^""]+""|\S+)[ \t]*(?:\r?\n|;|$)")]
    private static partial Regex ConnectLine();
}
