using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using PsBackup.Engine.Tests.Peers;

namespace PsBackup.Engine.Tests.PostgreSql;

/// <summary>
/// pg_dump as the judge of a restore: <c>pg_dump --schema-only</c> of the source and of the
/// restored objects, normalised (pg_dump's own comments and SET lines dropped, entries sorted, a
/// restore prefix taken off the names; owners and privileges left out unless the restore included
/// them) must be equal, entry for entry. And every table's rows — a partitioned table's and each
/// partition's — are equal in count and md5 of their text in order, as are the sequences' positions.
/// </summary>
public static class PgSchemaDump
{
    /// <summary>What to dump: the whole database, or only some tables and sequences (-t).</summary>
    public sealed record Scope
    {
        /// <summary>schema.name of the tables and sequences to dump (their own names, without a prefix); empty: the whole database.</summary>
        public IReadOnlyList<string> Relations { get; init; } = [];

        /// <summary>schema.name of tables left out of a whole-database dump (-T).</summary>
        public IReadOnlyList<string> Exclude { get; init; } = [];

        public bool Privileges { get; init; }

        /// <summary>Entries containing any of these are left out on both sides: differences a test expects.</summary>
        public IReadOnlyList<string> Ignore { get; init; } = [];
    }

    /// <summary>
    /// Fails with the entries that differ when the restored objects' schema is not the source's.
    /// With a prefix, the restored objects are the prefixed relations (in the same or another database).
    /// </summary>
    public static async Task AssertSameSchemaAsync(string source, string restored, Scope scope, string prefix = "")
    {
        var expected = await DumpAsync(source, scope, "");
        if (prefix.Length > 0)
            Assert.DoesNotContain(expected, e => PrefixPattern(prefix).IsMatch(e)); // else taking the prefix off would be ambiguous
        var actual = (await DumpAsync(restored, scope, prefix)).Select(e => PrefixPattern(prefix).Replace(e, "")).Order(StringComparer.Ordinal).ToList();
        var missing = expected.Except(actual).ToList();
        var extra = actual.Except(expected).ToList();
        Assert.True(missing.Count + extra.Count == 0,
            $"pg_dump of the restore differs from the source's.\n--- only in the source ({missing.Count}):\n{string.Join("\n\n", missing)}\n--- only in the restore ({extra.Count}):\n{string.Join("\n\n", extra)}");
        Assert.NotEmpty(expected);
    }

    /// <summary>The normalised entries of one pg_dump run, sorted.</summary>
    public static async Task<List<string>> DumpAsync(string database, Scope scope, string prefix)
    {
        var args = new List<string> { "--schema-only", "-h", TestPeers.PgHost, "-p", TestPeers.PgPort.ToString(), "-U", TestPeers.PgUser, "-d", database,
            "--no-publications", "--no-subscriptions" }; // the collection's publication is PsBackup's, not the tables'

        if (!scope.Privileges) args.AddRange(["--no-owner", "--no-privileges"]);
        foreach (var relation in scope.Relations) args.AddRange(["-t", Quoted(relation, prefix)]);
        foreach (var relation in scope.Exclude) args.AddRange(["-T", Quoted(relation, "")]);
        var text = await RunAsync(Path.Combine(TestPeers.PgBin, "pg_dump"), args);
        return Entries(text).Where(e => !scope.Ignore.Any(e.Contains)).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>pg_dump's output split at its "-- Name: …" headers, without comments, SET lines and blank lines.</summary>
    private static IEnumerable<string> Entries(string dump)
    {
        var entry = new StringBuilder();
        var started = false;
        foreach (var line in dump.Split('\n'))
        {
            if (line.StartsWith("-- Name: ", StringComparison.Ordinal))
            {
                if (started && entry.Length > 0) yield return entry.ToString().TrimEnd();
                entry.Clear();
                started = true;
                continue;
            }
            if (!started || line.StartsWith("--", StringComparison.Ordinal) || line.StartsWith("SET ", StringComparison.Ordinal)
                || line.StartsWith("SELECT pg_catalog.set_config", StringComparison.Ordinal) || line.StartsWith('\\') || line.Trim().Length == 0)
                continue;
            entry.Append(line.TrimEnd()).Append('\n');
        }
        if (entry.Length > 0) yield return entry.ToString().TrimEnd();
    }

    /// <summary>The prefix where a name starts: after a space, a dot, a quote or a parenthesis.</summary>
    private static Regex PrefixPattern(string prefix) =>
        prefix.Length == 0 ? new Regex("(?!)") : new Regex($"(?<=^|[\\s.(\"',]){Regex.Escape(prefix)}", RegexOptions.Multiline);

    private static string Quoted(string relation, string prefix)
    {
        var dot = relation.IndexOf('.');
        return $"\"{relation[..dot]}\".\"{prefix}{relation[(dot + 1)..]}\"";
    }

    /// <summary>count:md5 of each table's rows in text order (partitioned tables: all their rows; partitions: their own).</summary>
    public static async Task<Dictionary<string, string>> RowsAsync(PgTestDatabase db, IEnumerable<string> tables, string prefix = "")
    {
        var result = new Dictionary<string, string>();
        foreach (var table in tables)
            result[table] = await db.FingerprintAsync(Quoted(table, prefix), "t::text");
        return result;
    }

    /// <summary>
    /// Every sequence's position, by name without the prefix: with a prefix only the prefixed
    /// sequences, else only the ones not starting with <paramref name="exclude"/>.
    /// </summary>
    public static async Task<string> SequencesAsync(PgTestDatabase db, string prefix = "", string exclude = "rx_") =>
        await db.ScalarAsync<string?>($"""
            SELECT string_agg(schemaname || '.' || substr(sequencename, {prefix.Length + 1}) || '=' || coalesce(last_value::text, 'unset'), ', ' ORDER BY schemaname, sequencename)
            FROM pg_sequences
            WHERE {(prefix.Length > 0 ? $"sequencename LIKE '{Like(prefix)}%'" : $"sequencename NOT LIKE '{Like(exclude)}%'")}
            """) ?? "";

    private static string Like(string prefix) => prefix.Replace("_", "\\_");

    private static async Task<string> RunAsync(string file, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{file} failed: {error}");
        return await output;
    }
}
