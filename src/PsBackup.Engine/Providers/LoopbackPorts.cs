using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Providers;

/// <summary>
/// A free port on 127.0.0.1 for a server a drill starts of its own. Random below 32768: Linux
/// hands out ephemeral ports from 32768 up, where an outgoing connection may hold any port.
/// </summary>
internal static class LoopbackPorts
{
    public static int Free(string forWhat)
    {
        for (var i = 0; i < 100; i++)
        {
            var port = RandomNumberGenerator.GetInt32(20000, 32768);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // taken: try another
            }
        }
        throw new TargetUnavailableException($"No free local port below 32768 was found for {forWhat}.");
    }
}
