using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;
using PsBackup.Engine.Errors;
using PsBackup.Engine.IO;
using PsBackup.Engine.Providers.Capabilities;

namespace PsBackup.Engine.Providers.PostgreSql.Cluster;

/// <summary>
/// A restored data directory brought up by a PostgreSQL server of the drill's own, in a private
/// folder under the temporary directory: data/ (the restore's destination), socket/, pg_hba.conf.
/// The server runs as the data directory's owner (PostgreSQL refuses root: as root the drill starts
/// it through setpriv with that owner's uid and gid), on a free port below 32768, with settings
/// that keep it away from everything live: data_directory given explicitly (a restored
/// postgresql.conf may name the live cluster's), no TCP client allowed (pg_hba.conf: local trust
/// only, the socket in a 0700 folder), no archiving, no SSL. Starting it and waiting until recovery
/// has ended and it has promoted is the measured recovery time. Disposing shuts it down (SIGQUIT,
/// then SIGKILL) and removes the folder.
/// </summary>
internal sealed class ScratchCluster(string folder, PostgreSqlClusterTarget target, DrillSettings settings) : DrillScratch
{
    private readonly StringBuilder _log = new();
    private Process? _server;
    private int _port;
    private string? _user;

    public DrillSettings Settings => settings;
    public PostgreSqlClusterTarget Target => target;

    public string DataDirectory => Path.Combine(folder, "data");

    private string SocketDirectory => Path.Combine(folder, "socket");

    public override string Destination => DataDirectory;

    public override string Location => _port == 0 ? DataDirectory : $"{DataDirectory} (PostgreSQL on port {_port}, local socket only, while the drill ran)";

    /// <summary>Connection to a database of the running server: its socket, trust, the bootstrap superuser once known.</summary>
    public NpgsqlConnectionStringBuilder Builder(string database) => new()
    {
        Host = SocketDirectory,
        Port = _port,
        Database = database,
        Username = _user ?? target.UserName ?? "postgres",
        Pooling = false,
        Timeout = 15,
        CommandTimeout = 0,
        ApplicationName = "PsBackup drill",
    };

    public override async Task StartAsync(TargetRestoreContext restored, CancellationToken ct)
    {
        var state = ClusterBackupState.From(restored.Chain[0].Targets.First(t => t.Name == target.Name && t.Status == Repository.TargetStatus.Complete));
        var postgres = ClusterDrill.ServerProgram(state.ServerVersion / 10000, target.Name);
        var (uid, gid) = Posix.IsRoot ? Posix.Owner(DataDirectory) : (-1, -1);
        if (Posix.IsRoot && uid == 0)
            throw new RestoreFailedException($"The restored data directory of target '{target.Name}' belongs to root, and PostgreSQL does not run as root; the base backup recorded no other owner.");

        Directory.CreateDirectory(SocketDirectory);
        var hba = Path.Combine(folder, "pg_hba.conf");
        var ident = Path.Combine(folder, "pg_ident.conf");
        await File.WriteAllTextAsync(hba, "# PsBackup drill: the local socket (in a 0700 folder) only\nlocal all all trust\n", ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(ident, "", ct).ConfigureAwait(false);
        // A cluster whose configuration lived outside its data directory (Debian's /etc/postgresql) restores without one.
        var config = Path.Combine(DataDirectory, "postgresql.conf");
        if (!File.Exists(config)) await File.WriteAllTextAsync(config, "# written by a PsBackup drill: the backup held no postgresql.conf\n", ct).ConfigureAwait(false);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(SocketDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (uid >= 0)
            foreach (var path in new[] { SocketDirectory, hba, ident, config })
                Posix.Chown(path, uid, gid);

        for (var attempt = 1; ; attempt++)
        {
            _port = LoopbackPorts.Free("the drill's PostgreSQL server");
            _server = Launch(postgres, uid, gid, hba, ident);
            var up = await WaitPromotedAsync(ct).ConfigureAwait(false);
            if (up) break;
            var log = Log();
            if (attempt < 3 && log.Contains("Address already in use", StringComparison.Ordinal)) continue;
            throw new RestoreFailedException($"PostgreSQL did not start on the restored data directory of target '{target.Name}' (exit code {_server.ExitCode}). Its log ends: {log}");
        }
        await using var connection = new NpgsqlConnection(Builder("postgres").ConnectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        _user = await connection.ScalarAsync<string>("SELECT rolname::text FROM pg_roles WHERE oid = 10", ct).ConfigureAwait(false); // the bootstrap superuser
        var replayed = await connection.ScalarAsync<object>("SELECT pg_last_xact_replay_timestamp()", ct).ConfigureAwait(false);
        RestoredPointInTime = replayed is DateTime time ? new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)) : null;
    }

    private Process Launch(string postgres, int uid, int gid, string hba, string ident)
    {
        string[] options =
        [
            "-D", DataDirectory,
            "-c", $"data_directory={DataDirectory}", "-c", $"hba_file={hba}", "-c", $"ident_file={ident}",
            "-c", $"port={_port.ToString(CultureInfo.InvariantCulture)}", "-c", "listen_addresses=127.0.0.1", "-c", $"unix_socket_directories={SocketDirectory}",
            "-c", "archive_mode=off", "-c", "ssl=off", "-c", "logging_collector=off", "-c", "log_destination=stderr", "-c", "external_pid_file=",
        ];
        var info = uid >= 0
            ? new ProcessStartInfo(ClusterDrill.Setpriv()) { ArgumentList = { $"--reuid={uid}", $"--regid={gid}", "--clear-groups", "--", postgres } }
            : new ProcessStartInfo(postgres);
        foreach (var option in options) info.ArgumentList.Add(option);
        info.UseShellExecute = false;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.WorkingDirectory = folder;
        var process = Process.Start(info) ?? throw new DrillPrerequisiteMissingException($"Could not start {postgres}.");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private void Append(string? line)
    {
        if (line == null) return;
        lock (_log)
        {
            _log.AppendLine(line);
            if (_log.Length > 64_000) _log.Remove(0, _log.Length - 32_000);
        }
    }

    private string Log()
    {
        lock (_log) return _log.Length > 3000 ? _log.ToString()[^3000..] : _log.ToString();
    }

    /// <summary>Until the server accepts connections and has left recovery (promoted); false when it exited first.</summary>
    private async Task<bool> WaitPromotedAsync(CancellationToken ct)
    {
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (_server!.HasExited) return false;
            try
            {
                await using var connection = new NpgsqlConnection(Builder("postgres").ConnectionString);
                await connection.OpenAsync(ct).ConfigureAwait(false);
                if (!await connection.ScalarAsync<bool>("SELECT pg_is_in_recovery()", ct).ConfigureAwait(false)) return true;
            }
            catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException && !ct.IsCancellationRequested)
            {
                // starting up, or not yet consistent
            }
            await Task.Delay(50, ct).ConfigureAwait(false);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (_server is { HasExited: false })
        {
            using var _ = Stages.Time("clean-up: server stopped");
            Posix.Signal(_server.Id, Posix.SigQuit); // immediate shutdown: the children go with the postmaster
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _server.WaitForExitAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _server.Kill(entireProcessTree: true);
                await _server.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        _server?.Dispose();
        if (!settings.KeepRestored)
        {
            using var __ = Stages.Time("clean-up: folder removed");
            ScratchFolder.Delete(folder);
            return;
        }
        // Kept: the data directory as a stopped cluster; the drill's socket folder and settings go.
        if (Directory.Exists(SocketDirectory)) Directory.Delete(SocketDirectory, recursive: true);
    }
}
