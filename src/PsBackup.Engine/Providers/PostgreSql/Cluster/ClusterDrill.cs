using Npgsql;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers.Capabilities;

namespace PsBackup.Engine.Providers.PostgreSql.Cluster;

/// <summary>
/// Restore drills of PostgreSQL clusters: the base backup and the WAL restored into a temporary
/// data directory (as Restore-Backup does, to the end of the archived WAL or -PointInTime), a server
/// of the drill's own started on it until it has recovered and promoted (<see cref="ScratchCluster"/>),
/// then checked: it left recovery, it replayed the WAL up to the newest commit the staged WAL holds
/// (or no further than -PointInTime), every database answers a query, and -VerifyQuery holds. Needs
/// the server programs (postgres) of the backup's major version on this machine.
/// </summary>
internal static class ClusterDrill
{
    public static string Describe(BackupTarget target, DrillSettings settings) =>
        $"a new data directory under {Path.GetTempPath().TrimEnd('/')} and a PostgreSQL server of its own on a free local port (stopped and removed afterwards{(settings.KeepRestored ? "; the data directory kept with -KeepRestored" : "")})";

    public static Task<DrillScratch> CreateAsync(BackupTarget target, DrillSettings settings)
    {
        if (!OperatingSystem.IsLinux())
            throw new DrillPrerequisiteMissingException($"The drill of PostgreSQL cluster target '{target.Name}' runs a PostgreSQL server of its own, which PsBackup does on Linux only.");
        if (PgTools.Find("postgres") == null)
            throw Missing(null, target.Name);
        if (Posix.IsRoot) Setpriv();
        var folder = Path.Combine(Path.GetTempPath(), $"psbackup-drill-{settings.DrillId}-{Guid.NewGuid().ToString("N")[..6]}");
        // 0711: the server's user (not this one, when run as root) passes through to its data directory and socket.
        Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        return Task.FromResult<DrillScratch>(new ScratchCluster(folder, (PostgreSqlClusterTarget)target, settings));
    }

    /// <summary>postgres of <paramref name="major"/>: $PSBACKUP_PG_BIN, PATH, then /usr/lib/postgresql/&lt;major&gt;/bin; its version must match the backup's.</summary>
    public static string ServerProgram(int major, string target)
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable(PgTools.BinVariable) is { Length: > 0 } bin) candidates.Add(Path.Combine(bin, "postgres"));
        candidates.Add($"/usr/lib/postgresql/{major}/bin/postgres");
        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, "postgres")));
        foreach (var candidate in candidates.Where(File.Exists))
            if (MajorOf(candidate) == major) return candidate;
        throw Missing(major, target);
    }

    private static int MajorOf(string postgres)
    {
        try
        {
            var info = new System.Diagnostics.ProcessStartInfo(postgres, "--version") { RedirectStandardOutput = true, UseShellExecute = false };
            using var process = System.Diagnostics.Process.Start(info)!;
            var text = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            var match = System.Text.RegularExpressions.Regex.Match(text, @"\) (\d+)");
            return match.Success ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : -1;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }

    private static DrillPrerequisiteMissingException Missing(int? major, string target) => new(
        $"The drill of PostgreSQL cluster target '{target}' starts a PostgreSQL server on the restored data directory, and needs the server program postgres" +
        $"{(major is { } m ? $" of PostgreSQL {m} (the backup's version)" : "")} on this machine: none was found in ${PgTools.BinVariable}, " +
        $"{(major is { } n ? $"/usr/lib/postgresql/{n}/bin, " : "/usr/lib/postgresql/*/bin, ")}or PATH. Install it (Debian: apt-get install postgresql-{major?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "<version>"}).");

    private static readonly string[] SetprivPaths = ["/usr/bin/setpriv", "/bin/setpriv", "/usr/sbin/setpriv"];

    /// <summary>setpriv (util-linux): as root, the server is started with the data directory's owner's uid and gid.</summary>
    public static string Setpriv() =>
        SetprivPaths.FirstOrDefault(File.Exists)
        ?? throw new DrillPrerequisiteMissingException("PostgreSQL refuses to run as root, and the drill, running as root, starts it as the data directory's owner with setpriv (util-linux), which was not found.");

    public static async Task<IReadOnlyList<DrillCheck>> VerifyAsync(TargetRestoreContext restored, DrillScratch drillScratch, CancellationToken ct)
    {
        var scratch = (ScratchCluster)drillScratch;
        var checks = new List<DrillCheck>();
        await using (var connection = new NpgsqlConnection(scratch.Builder("postgres").ConnectionString))
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            var inRecovery = await connection.ScalarAsync<bool>("SELECT pg_is_in_recovery()", ct).ConfigureAwait(false);
            checks.Add(new DrillCheck("recovery ended and the server promoted", "not in recovery", inRecovery ? "in recovery" : "not in recovery", !inRecovery));
            checks.Add(await RecoveredToAsync(restored, scratch, ct).ConfigureAwait(false));
            checks.Add(await DatabasesAsync(connection, scratch, ct).ConfigureAwait(false));
        }
        if (scratch.Settings.VerifyQuery is { } query)
        {
            var database = PgVerifyQuery.Split(query).Database ?? "postgres";
            try
            {
                await using var connection = new NpgsqlConnection(scratch.Builder(database).ConnectionString);
                await connection.OpenAsync(ct).ConfigureAwait(false);
                checks.Add(await PgVerifyQuery.RunAsync(connection, query, ct).ConfigureAwait(false));
            }
            catch (PostgresException e)
            {
                checks.Add(new DrillCheck(PgVerifyQuery.CheckName, $"a query in database {database}", $"error {e.SqlState}: {e.MessageText}", false));
            }
        }
        return checks;
    }

    /// <summary>
    /// How far recovery went. To the end of the archive: the last replayed commit is at or after the
    /// newest commit the staged WAL files record (WAL damaged or cut short stops replay earlier). To a
    /// point in time: no commit after it was replayed.
    /// </summary>
    private static async Task<DrillCheck> RecoveredToAsync(TargetRestoreContext restored, ScratchCluster scratch, CancellationToken ct)
    {
        var replayed = scratch.RestoredPointInTime;
        var shown = replayed?.ToString("yyyy-MM-dd HH:mm:ss.ffffffZ", System.Globalization.CultureInfo.InvariantCulture) ?? "none (no commit after the base backup)";
        if (scratch.Settings.Recovery?.Time is { } time)
            return new DrillCheck($"recovered to the point in time", $"the last commit at or before {time:yyyy-MM-dd HH:mm:ss.ffffffZ}", $"the last replayed commit at {shown}",
                replayed == null || replayed <= time);
        var staged = Path.Combine(scratch.DataDirectory, "pg_wal", ClusterRestorer.StagingFolder);
        var segments = Directory.Exists(staged) ? Directory.EnumerateFiles(staged).Select(Path.GetFileName).OfType<string>().Where(WalFileName.IsSegment).Order(StringComparer.Ordinal).ToList() : [];
        var archive = new WalArchive(restored.Reader.Repository.Store, restored.Head.Collection);
        DateTimeOffset? newest = null;
        for (var i = segments.Count - 1; i >= 0 && newest == null; i--)
            newest = (await archive.ReadEntryAsync(segments[i], ct).ConfigureAwait(false)).LastCommit;
        var expected = newest == null ? "no commit (the staged WAL records none)"
            : $"the last commit at or after {newest.Value.UtcDateTime:yyyy-MM-dd HH:mm:ss.ffffffZ} (the newest in the {segments.Count} staged WAL segments)";
        return new DrillCheck("recovered to the end of the archived WAL", expected, $"the last replayed commit at {shown}",
            newest == null || replayed >= newest);
    }

    /// <summary>Every database that takes connections answers a catalog query.</summary>
    private static async Task<DrillCheck> DatabasesAsync(NpgsqlConnection connection, ScratchCluster scratch, CancellationToken ct)
    {
        var names = new List<string>();
        await using (var command = new NpgsqlCommand("SELECT datname::text FROM pg_database WHERE datallowconn ORDER BY 1", connection))
        await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
            while (await reader.ReadAsync(ct).ConfigureAwait(false)) names.Add(reader.GetString(0));
        var failing = new List<string>();
        long relations = 0;
        foreach (var name in names)
        {
            try
            {
                await using var database = new NpgsqlConnection(scratch.Builder(name).ConnectionString);
                await database.OpenAsync(ct).ConfigureAwait(false);
                relations += await database.ScalarAsync<long>("SELECT count(*) FROM pg_class", ct).ConfigureAwait(false);
            }
            catch (NpgsqlException e)
            {
                failing.Add($"{name} ({e.Message})");
            }
        }
        return new DrillCheck("databases answer queries", $"{names.Count} databases ({string.Join(", ", names)})",
            failing.Count == 0 ? $"{names.Count} answered ({relations} relations)" : $"{failing.Count} failed: {string.Join("; ", failing)}", failing.Count == 0 && names.Count > 0);
    }
}
