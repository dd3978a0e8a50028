using System.Net;
using System.Net.Sockets;

namespace PsBackup.Engine.Tests.Support;

/// <summary>
/// Ports for the servers the tests start themselves (throwaway PostgreSQL clusters, redis-servers,
/// proxies). They lie in 30000–32767: below Linux's ephemeral range (32768–60999), where any
/// outgoing connection may hold a port at any moment, and above the peers' fixed ports (15432 …).
/// A port is handed out only if it binds now. The scan starts at a random point and moves up
/// (wrapping), so test processes running at the same time rarely try the same ports.
/// </summary>
public static class TestPorts
{
    public const int First = 30000;
    public const int Last = 32767;
    private const int Count = Last - First + 1;
    private static int _next = Random.Shared.Next(Count);

    /// <summary>A port on 127.0.0.1 that was free when asked and that this process has not handed out recently.</summary>
    public static int Next()
    {
        for (var tried = 0; tried < Count; tried++)
        {
            var port = First + (int)((uint)Interlocked.Increment(ref _next) % Count);
            if (IsFree(port)) return port;
        }
        throw new InvalidOperationException($"No free TCP port on 127.0.0.1 in {First}–{Last}.");
    }

    /// <summary>A listener on a port from <see cref="Next"/>, already bound (no race with other processes).</summary>
    public static TcpListener Listen()
    {
        for (var tried = 0; tried < Count; tried++)
        {
            var listener = new TcpListener(IPAddress.Loopback, Next());
            try
            {
                listener.Start();
                return listener;
            }
            catch (SocketException)
            {
                listener.Stop(); // taken between the check and now: the next one
            }
        }
        throw new InvalidOperationException($"No free TCP port on 127.0.0.1 in {First}–{Last}.");
    }

    private static bool IsFree(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        finally
        {
            listener.Stop();
        }
    }
}
