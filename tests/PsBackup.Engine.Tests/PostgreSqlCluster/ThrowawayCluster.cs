using System.Diagnostics;
using Npgsql;
using PsBackup.Engine.Tests.Peers;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.PostgreSqlCluster;

/// <summary>
/// A PostgreSQL 15 cluster of its own for one test (the shared peers are left
/// alone): initdb as the postgres user, wal_level=replica, archive_command pushing WAL into a
/// PsBackup repository through the built psbackup-cli, on a free port from <see cref="TestPorts"/>. Stopped
/// (immediate) on Dispose, whatever the test did.
/// </summary>
public sealed class ThrowawayCluster : IDisposable
{
    private bool _running;

    private ThrowawayCluster(string dataDirectory, int port)
    {
        DataDirectory = dataDirectory;
        Port = port;
    }

    public string DataDirectory { get; }
    public int Port { get; private set; }

    public static string Bin(string program) => Path.Combine(TestPeers.PgBin, program);

    /// <summary>archive_command for a collection of a local repository (the repository must be writable by postgres: <see cref="ShareWithPostgres"/>); further repositories get copies.</summary>
    public static string ArchiveCommand(string repository, string collection, params string[] copies) =>
        $"dotnet {SharedCli.Value} archive-wal --repository {repository}{string.Concat(copies.Select(c => $" --repository {c}"))} --collection {collection} %p %f";

    /// <summary>
    /// archive_command runs as postgres, which may not read the checkout (a clone under /root):
    /// the built psbackup-cli is copied once per test run to a world-readable folder in /tmp.
    /// </summary>
    private static readonly Lazy<string> SharedCli = new(() =>
    {
        var source = Path.GetDirectoryName(CliProcess.DllPath())!;
        var copy = Path.Combine(Path.GetTempPath(), "psbackup-tests", "cli-" + Guid.NewGuid().ToString("N")[..8]);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        RunAsync("chmod", "-R", "a+rX", copy).GetAwaiter().GetResult();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(copy, recursive: true);
        return Path.Combine(copy, Path.GetFileName(CliProcess.DllPath()));
    });

    /// <summary>A new cluster; <paramref name="walSegmentMegabytes"/> other than 16 makes small segments (many of them, quickly).</summary>
    public static async Task<ThrowawayCluster> CreateAsync(string directory, string archiveCommand, int walSegmentMegabytes = 16)
    {
        var cluster = new ThrowawayCluster(Path.Combine(directory, "data"), TestPorts.Next());
        ShareWithPostgres(directory);
        await RunAsync("runuser", "-u", "postgres", "--", Bin("initdb"), "-D", cluster.DataDirectory, "--auth=trust", "-U", "postgres", "--no-sync",
            $"--wal-segsize={walSegmentMegabytes}");
        await File.AppendAllTextAsync(Path.Combine(cluster.DataDirectory, "postgresql.conf"), $"""

            listen_addresses = '127.0.0.1'
            unix_socket_directories = ''
            wal_level = replica
            max_wal_senders = 4
            archive_mode = on
            archive_command = '{archiveCommand}'
            fsync = off
            synchronous_commit = on
            """);
        await cluster.StartAsync();
        return cluster;
    }

    /// <summary>A streaming replica of <paramref name="primary"/> (pg_basebackup -R -X stream), started.</summary>
    public static async Task<ThrowawayCluster> ReplicaOfAsync(ThrowawayCluster primary, string directory)
    {
        var replica = new ThrowawayCluster(Path.Combine(directory, "data"), TestPorts.Next());
        ShareWithPostgres(directory);
        await RunAsync("runuser", "-u", "postgres", "--", Bin("pg_basebackup"), "-h", "127.0.0.1", "-p", primary.Port.ToString(), "-U", "postgres",
            "-D", replica.DataDirectory, "-R", "-X", "stream", "-c", "fast");
        await replica.StartAsync();
        return replica;
    }

    /// <summary>
    /// A data directory a restore produced, started on a fresh port, once it has recovered and
    /// promoted (with hot_standby it takes read-only connections while still replaying WAL).
    /// </summary>
    public static async Task<ThrowawayCluster> StartRestoredAsync(string dataDirectory)
    {
        var cluster = new ThrowawayCluster(dataDirectory, TestPorts.Next());
        await cluster.StartAsync();
        var clock = Stopwatch.StartNew();
        while (await cluster.ScalarAsync<bool>("SELECT pg_is_in_recovery()"))
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(120))
            {
                cluster.Stop();
                throw new TimeoutException($"The restored cluster did not finish recovery within 120 s. Log:\n{cluster.Log}");
            }
            await Task.Delay(100);
        }
        return cluster;
    }

    /// <summary>Restarts this cluster on <paramref name="old"/>'s port (stopped): the service address moves to a promoted replica, as in a failover.</summary>
    public async Task TakeOverPortAsync(ThrowawayCluster old)
    {
        old.Stop();
        Stop();
        Port = old.Port;
        NpgsqlConnection.ClearAllPools(); // pooled connections to that port belong to the old server
        await StartAsync();
    }

    public async Task StartAsync()
    {
        await RunAsync("runuser", "-u", "postgres", "--", Bin("pg_ctl"), "-D", DataDirectory, "-o", $"-p {Port}",
            "-l", LogFile, "-w", "-t", "120", "start");
        _running = true;
    }

    public void Stop()
    {
        if (!_running) return;
        _running = false;
        RunAsync("runuser", "-u", "postgres", "--", Bin("pg_ctl"), "-D", DataDirectory, "-m", "immediate", "-w", "stop").GetAwaiter().GetResult();
    }

    /// <summary>Server log, in /tmp where the postgres user may write.</summary>
    public string LogFile { get; } = Path.Combine(Path.GetTempPath(), $"psbackup-pg-{Guid.NewGuid():N}.log");

    public string Log => File.Exists(LogFile) ? File.ReadAllText(LogFile) : "";

    public PostgreSqlClusterTarget Target(string name) => new() { Name = name, Host = "127.0.0.1", Port = Port, UserName = "postgres" };

    public async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(TestPeers.PgConnectionString(Port));
        await connection.OpenAsync();
        return connection;
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Closes the current WAL segment and waits until archive_command has taken it (pg_stat_archiver).</summary>
    public async Task SwitchWalAndWaitArchivedAsync()
    {
        var segment = await ScalarAsync<string>("SELECT pg_walfile_name(pg_switch_wal())");
        await WaitArchivedAsync(segment);
    }

    public async Task WaitArchivedAsync(string segment)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var archived = await ScalarAsync<object>("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver") as string ?? "";
            // Compare the segment part: after a promotion the new timeline's names sort above the old one's.
            if (archived.Length >= 24 && string.CompareOrdinal(archived[8..24], segment[8..24]) >= 0 && string.CompareOrdinal(archived[..8], segment[..8]) >= 0) return;
            if (clock.Elapsed > TimeSpan.FromSeconds(90))
                throw new TimeoutException($"WAL segment {segment} was not archived within 90 s (last archived: '{archived}'). Log:\n{Log[^Math.Min(Log.Length, 4000)..]}");
            await Task.Delay(200);
        }
    }

    /// <summary>The server's clock now, just after the previous statements committed: a point between commits.</summary>
    public Task<DateTime> NowAsync() => ScalarAsync<DateTime>("SELECT clock_timestamp()");

    public async Task<List<int>> IdsAsync(string table)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT id FROM {table} ORDER BY id", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<int>();
        while (await reader.ReadAsync()) ids.Add(reader.GetInt32(0));
        return ids;
    }

    public void Dispose()
    {
        Stop();
        File.Delete(LogFile);
    }

    /// <summary>PostgreSQL runs as postgres: it needs to own its directories and to write the repository its archive_command fills.</summary>
    public static void ShareWithPostgres(string directory)
    {
        Directory.CreateDirectory(directory);
        RunAsync("chown", "-R", "postgres:postgres", directory).GetAwaiter().GetResult();
        for (var dir = Path.GetDirectoryName(directory); dir != null && dir != "/tmp" && dir != "/"; dir = Path.GetDirectoryName(dir))
            File.SetUnixFileMode(dir, File.GetUnixFileMode(dir) | UnixFileMode.OtherExecute | UnixFileMode.GroupExecute);
    }

    public static async Task RunAsync(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/tmp" };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({process.ExitCode}): {await stderr}{await stdout}");
    }
}
