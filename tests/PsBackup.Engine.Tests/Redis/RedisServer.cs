using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PsBackup.Engine.Tests.Support;
using StackExchange.Redis;

namespace PsBackup.Engine.Tests.Redis;

/// <summary>
/// A redis-server of the test's own on a free port (<see cref="TestPorts"/>) and a temp directory (no persistence,
/// diskless sync without delay), so destructive tests and whole-server snapshots touch nothing
/// shared. Killed when disposed.
/// </summary>
public sealed class RedisServer : IDisposable
{
    private readonly Process _process;
    private readonly TempDirectory _dir;

    private RedisServer(Process process, TempDirectory dir, int port)
    {
        _process = process;
        _dir = dir;
        Port = port;
    }

    public int Port { get; }
    public string Endpoint => $"127.0.0.1:{Port}";
    public string Directory => _dir.Path;

    /// <summary>Starts redis-server with extra arguments (e.g. "--requirepass", "x"); <paramref name="directory"/>: a data directory to load dump.rdb from.</summary>
    public static RedisServer Start(string? directory = null, params string[] extra)
    {
        var dir = new TempDirectory("redis");
        var port = FreePort();
        var info = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "--bind", "127.0.0.1", "--port", port.ToString(), "--dir", directory ?? dir.Path, "--save", "", "--appendonly", "no",
                     "--repl-diskless-sync-delay", "0", "--daemonize", "no", "--logfile", Path.Combine(dir.Path, "redis.log") }.Concat(extra))
            info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        var server = new RedisServer(process, dir, port);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var tcp = new TcpClient();
                tcp.Connect(IPAddress.Loopback, port);
                using var stream = tcp.GetStream();
                stream.Write("PING\r\n"u8);
                var buffer = new byte[64];
                var n = stream.Read(buffer);
                var reply = System.Text.Encoding.ASCII.GetString(buffer, 0, n);
                if (reply.StartsWith("+PONG") || reply.StartsWith("-NOAUTH")) return server;
            }
            catch (SocketException) { }
            catch (IOException) { }
            if (process.HasExited || clock.Elapsed > TimeSpan.FromSeconds(20))
            {
                var log = File.Exists(Path.Combine(dir.Path, "redis.log")) ? File.ReadAllText(Path.Combine(dir.Path, "redis.log")) : "";
                server.Dispose();
                throw new InvalidOperationException($"redis-server on port {port} did not start: {log}");
            }
            Thread.Sleep(50);
        }
    }

    public ConnectionMultiplexer Connect(string? password = null) =>
        ConnectionMultiplexer.Connect($"{Endpoint},allowAdmin=true,connectTimeout=5000,syncTimeout=60000,abortConnect=true" + (password == null ? "" : $",password={password}"));

    /// <summary>A free port outside the ephemeral range (<see cref="TestPorts"/>).</summary>
    public static int FreePort() => TestPorts.Next();

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
        _dir.Dispose();
    }
}
