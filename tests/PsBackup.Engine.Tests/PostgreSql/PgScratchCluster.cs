using System.Diagnostics;
using PsBackup.Engine.Tests.Peers;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.PostgreSql;

/// <summary>A throwaway PostgreSQL cluster with its own settings (e.g. wal_level = replica), run as the postgres user, on a port from <see cref="TestPorts"/>.</summary>
public sealed class PgScratchCluster : IDisposable
{
    private readonly string _data;

    private PgScratchCluster(string data, int port) => (_data, Port) = (data, port);

    public int Port { get; }

    public static PgScratchCluster Start(params string[] settings)
    {
        var data = Path.Combine(Path.GetTempPath(), $"psb-pg-{Guid.NewGuid():N}");
        var port = TestPorts.Next();
        Directory.CreateDirectory(data);
        Run("chown", "postgres", data);
        AsPostgres(Path.Combine(TestPeers.PgBin, "initdb"), "-D", data, "-U", TestPeers.PgUser, "--auth=trust", "--no-sync");
        File.AppendAllLines(Path.Combine(data, "postgresql.conf"),
            [$"port = {port}", "listen_addresses = '127.0.0.1'", $"unix_socket_directories = '{data}'", "fsync = off", .. settings]);
        AsPostgres(Path.Combine(TestPeers.PgBin, "pg_ctl"), "start", "-D", data, "-w", "-l", Path.Combine(data, "log"));
        return new PgScratchCluster(data, port);
    }

    public void Dispose()
    {
        try { AsPostgres(Path.Combine(TestPeers.PgBin, "pg_ctl"), "stop", "-D", _data, "-m", "immediate", "-w"); }
        finally { Directory.Delete(_data, recursive: true); }
    }

    private static void AsPostgres(params string[] command) => Run("runuser", ["-u", "postgres", "--", .. command]);

    private static void Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} failed: {error}{output.Result}");
    }
}
