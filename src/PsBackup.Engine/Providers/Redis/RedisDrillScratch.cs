using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using PsBackup.Engine.Errors;
using PsBackup.Engine.IO;
using PsBackup.Engine.Providers.Capabilities;

namespace PsBackup.Engine.Providers.Redis;

/// <summary>Where a Redis drill's keys are, and how the checks reach them.</summary>
internal abstract class RedisDrillScratch(DrillSettings settings) : DrillScratch
{
    public DrillSettings Settings => settings;

    /// <summary>When the scratch place was made: keys that expired before it cannot have been restored.</summary>
    public DateTimeOffset Created { get; } = DateTimeOffset.UtcNow;

    /// <summary>Prepended to every restored key (a drill server); empty for a temporary server of its own.</summary>
    public virtual byte[] Prefix => [];

    /// <summary>A server of the drill's own: it holds nothing else, and DEBUG DIGEST-VALUE may be used on it.</summary>
    public abstract bool OwnServer { get; }

    public abstract RespConnection Connect(CancellationToken ct);

    private Task<RedisDrill.BackupContents>? _backup;
    private CancellationTokenSource? _backupStop;

    /// <summary>
    /// Starts reading the backup's RDB for the checks (<see cref="RedisDrill.ReadBackupAsync"/>)
    /// while the server loads the restored one, when the backup has no drill census to read instead:
    /// that read needs nothing restored, and a loading redis-server keeps one core busy, so the other
    /// does the read meanwhile.
    /// </summary>
    protected void BeginReadingBackup(TargetRestoreContext restored, CancellationToken ct)
    {
        if (RedisDrill.HasCensus(restored)) return; // a small document, read at the checks
        _backupStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _backup = Task.Run(() => RedisDrill.ReadBackupAsync(restored, this, _backupStop.Token), CancellationToken.None);
    }

    /// <summary>The backup's RDB as the checks compare it: the read begun while the server loaded, else read now.</summary>
    public Task<RedisDrill.BackupContents> BackupAsync(TargetRestoreContext restored, CancellationToken ct) =>
        _backup ?? RedisDrill.ReadBackupAsync(restored, this, ct);

    /// <summary>A read still running (the drill failed or was stopped before its checks) is stopped, and waited for: nothing reads the backup after the drill.</summary>
    protected async ValueTask StopReadingBackupAsync()
    {
        if (_backup == null) return;
        await _backupStop!.CancelAsync().ConfigureAwait(false);
        try
        {
            await _backup.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // its failure was the checks' to report; they did, or never ran
        }
        _backupStop.Dispose();
        _backup = null;
    }
}

/// <summary>
/// A redis-server of the drill's own, on a free local port below 32768, bound to 127.0.0.1 with a
/// random password, loading the restored dump.rdb from a private folder (0700). Starting it, and
/// waiting until it has loaded the file, is part of the measured recovery time. Disposing kills it
/// and removes the folder (with -KeepRestored the folder and its dump.rdb stay).
/// </summary>
internal sealed class TemporaryRedisServer(string program, string folder, DrillSettings settings) : RedisDrillScratch(settings)
{
    private readonly string _password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
    private Process? _process;
    private int _port;

    public override string Destination => folder;

    public override string Location => _port == 0 ? folder : $"{folder} (redis-server on 127.0.0.1:{_port} while the drill ran)";

    public override bool OwnServer => true;

    public override RespConnection Connect(CancellationToken ct) =>
        RedisConnections.Open(new RedisEndpoint("127.0.0.1", _port), false, null, new NetworkCredential("", _password), ct);

    public static string? Find()
    {
        if (Environment.GetEnvironmentVariable("PSBACKUP_REDIS_SERVER") is { Length: > 0 } given) return File.Exists(given) ? given : null;
        var directories = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/bin", "/usr/local/bin", "/usr/sbin"]);
        return directories.Select(d => Path.Combine(d, "redis-server")).FirstOrDefault(File.Exists);
    }

    public override async Task StartAsync(TargetRestoreContext restored, CancellationToken ct)
    {
        BeginReadingBackup(restored, ct);
        var config = Path.Combine(folder, "redis.conf");
        for (var attempt = 1; ; attempt++)
        {
            _port = LoopbackPorts.Free("the drill's redis-server");
            await File.WriteAllLinesAsync(config, [
                $"port {_port}", "bind 127.0.0.1", "protected-mode yes", $"dir \"{folder}\"", "dbfilename dump.rdb",
                "appendonly no", "save \"\"", "daemonize no", $"logfile \"{Path.Combine(folder, "redis.log")}\"", "databases 256",
                $"requirepass {_password}", .. await SupportsDebugOptionAsync(ct).ConfigureAwait(false) ? ["enable-debug-command local"] : Array.Empty<string>(),
            ], ct).ConfigureAwait(false);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            var info = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            info.ArgumentList.Add(config);
            _process = Process.Start(info) ?? throw new DrillPrerequisiteMissingException($"Could not start {program}.");
            _ = _process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            _ = _process.StandardError.ReadToEndAsync(CancellationToken.None);
            if (await WaitLoadedAsync(ct).ConfigureAwait(false))
            {
                // Loaded: the server holds the data in memory and never writes (save ""), so its file goes now, while the checks run.
                if (!Settings.KeepRestored) _dumpRemoved = RemoveDumpAsync();
                return;
            }
            var log = Log();
            if (attempt < 3 && log.Contains("Address already in use", StringComparison.Ordinal)) continue; // the port was taken meanwhile
            throw new RestoreFailedException($"redis-server could not load the restored dump.rdb (exit code {_process.ExitCode}): {log}");
        }
    }

    /// <summary>Until PING answers PONG (it answers LOADING while the file loads); false when the server exited.</summary>
    private async Task<bool> WaitLoadedAsync(CancellationToken ct)
    {
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (_process!.HasExited) return false;
            try
            {
                using var connection = Connect(ct);
                return true; // Open ends with a PING
            }
            catch (PsBackupException) when (!_process.HasExited)
            {
                await Task.Delay(25, ct).ConfigureAwait(false);
            }
            catch (RedisServerException e) when (e.Code == "LOADING")
            {
                await Task.Delay(25, ct).ConfigureAwait(false);
            }
        }
    }

    private async Task<bool> SupportsDebugOptionAsync(CancellationToken ct)
    {
        var info = new ProcessStartInfo(program, "--version") { RedirectStandardOutput = true, UseShellExecute = false };
        using var process = Process.Start(info)!;
        var text = await process.StandardOutput.ReadToEndAsync(ct).ConfigureAwait(false);
        await process.WaitForExitAsync(ct).ConfigureAwait(false);
        var version = System.Text.RegularExpressions.Regex.Match(text, @"v=(\d+)\.");
        return version.Success && int.Parse(version.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 7; // the option came with 7.0
    }

    private string Log()
    {
        var file = Path.Combine(folder, "redis.log");
        var text = File.Exists(file) ? File.ReadAllText(file) : "(no log)";
        return text.Length > 2000 ? text[^2000..] : text;
    }

    private Task _dumpRemoved = Task.CompletedTask;

    private Task RemoveDumpAsync() => DedicatedThread.Run(() =>
    {
        using var _ = Stages.Time("clean-up: dump.rdb removed (during the checks)");
        File.Delete(Path.Combine(folder, "dump.rdb"));
    });

    /// <summary>The server killed (it saves nothing) while its folder is removed: both wait on the kernel (freeing its memory, unlinking the files).</summary>
    public override async ValueTask DisposeAsync()
    {
        await StopReadingBackupAsync().ConfigureAwait(false);
        var running = _process is { HasExited: false };
        if (running) _process!.Kill(entireProcessTree: true);
        try
        {
            await _dumpRemoved.ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // the folder's removal below takes the file too, or fails and says so
        }
        var removed = Settings.KeepRestored ? Task.CompletedTask : Timed("clean-up: folder removed", ScratchFolder.DeleteAsync(folder));
        if (running)
        {
            using var _ = Stages.Time("clean-up: server stopped");
            await _process!.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
        _process?.Dispose();
        await removed.ConfigureAwait(false);
        if (Settings.KeepRestored) File.Delete(Path.Combine(folder, "redis.conf")); // its password was the drill's alone
    }

    private async Task Timed(string stage, Task work)
    {
        using var _ = Stages.Time(stage);
        await work.ConfigureAwait(false);
    }
}

/// <summary>
/// Keys restored into -DrillServer under the prefix psbackup-drill:&lt;drill id&gt;: (so nothing of the
/// server's own is touched or counted) in their own database numbers; disposing deletes exactly the
/// keys with that prefix (SCAN + UNLINK in every database), unless -KeepRestored.
/// </summary>
internal sealed class DrillServerScratch(RedisTarget target, string server, DrillSettings settings) : RedisDrillScratch(settings)
{
    private readonly RedisEndpoint _endpoint = RedisEndpoint.Parse(server, out _);
    private readonly bool _tls = target.UseTls || server.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase);
    private readonly string _prefix = $"psbackup-drill:{settings.DrillId}:";

    public override string Destination => $"{(_tls ? "rediss" : "redis")}://{_endpoint}";

    public override object RestoreOptions => new RedisRestoreOptions { KeyPrefix = _prefix };

    public override string Location => $"keys {_prefix}* on Redis {_endpoint}";

    public override byte[] Prefix => System.Text.Encoding.UTF8.GetBytes(_prefix);

    public override bool OwnServer => false;

    public override RespConnection Connect(CancellationToken ct) => RedisConnections.Open(_endpoint, _tls, target.UserName, Settings.Credential, ct);

    public override ValueTask DisposeAsync()
    {
        if (Settings.KeepRestored) return ValueTask.CompletedTask;
        try
        {
            using var connection = Connect(CancellationToken.None);
            for (var db = 0; ; db++)
            {
                try { connection.Call("SELECT", db); }
                catch (RedisServerException) { break; } // past the last database
                var cursor = "0";
                do
                {
                    var reply = connection.Call("SCAN", cursor, "MATCH", _prefix + "*", "COUNT", 1000);
                    cursor = reply.Items![0].AsString()!;
                    var keys = reply.Items[1].Items!.Select(k => (object)k.Bulk!).ToArray();
                    if (keys.Length > 0) connection.Call(["UNLINK", .. keys]);
                } while (cursor != "0");
            }
        }
        catch (Exception e) when (e is PsBackupException or RedisServerException or IOException or SocketException)
        {
            throw new DrillCleanupFailedException(
                $"The drill's keys '{_prefix}*' on Redis {_endpoint} could not all be deleted ({e.Message}). Delete them by hand: redis-cli -h {_endpoint.Host} -p {_endpoint.Port} --scan --pattern '{_prefix}*' | xargs redis-cli -h {_endpoint.Host} -p {_endpoint.Port} unlink (per database: -n N).", e);
        }
        return ValueTask.CompletedTask;
    }
}
