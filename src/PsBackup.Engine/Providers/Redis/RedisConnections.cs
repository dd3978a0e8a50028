using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Providers.Redis;

/// <summary>
/// Opens authenticated connections to a Redis target and turns failures into errors that say what
/// to fix. The password is the call's credential, else REDISCLI_AUTH (redis-cli's convention);
/// the user is the credential's, else the target's ACL user, else Redis' default user.
/// </summary>
internal static class RedisConnections
{
    public const string PasswordVariable = "REDISCLI_AUTH";
    private static readonly TimeSpan IoTimeout = TimeSpan.FromSeconds(120);

    /// <summary>Connects to the first of the target's endpoints that answers.</summary>
    public static RespConnection Open(RedisTarget target, NetworkCredential? credential, CancellationToken ct)
    {
        if (target.Endpoints.Length == 0)
            throw new InvalidBackupRequestException("InvalidRedisEndpoint", $"Redis target '{target.Name}' has no endpoint.");
        Exception? last = null;
        foreach (var text in target.Endpoints)
        {
            var endpoint = RedisEndpoint.Parse(text, out var tls);
            try
            {
                return Open(endpoint, target.UseTls || tls, target.UserName, credential, ct);
            }
            catch (TargetUnavailableException e) when (target.Endpoints.Length > 1)
            {
                last = e; // try the next endpoint of the same data set
            }
        }
        throw new TargetUnavailableException($"No endpoint of Redis target '{target.Name}' answers ({string.Join(", ", target.Endpoints)}): {last!.Message}", last);
    }

    public static RespConnection Open(RedisEndpoint endpoint, bool tls, string? userName, NetworkCredential? credential, CancellationToken ct)
    {
        RespConnection connection;
        try
        {
            connection = RespConnection.Open(endpoint, tls, IoTimeout, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw Translate(e, endpoint);
        }
        try
        {
            Authenticate(connection, userName, credential);
            connection.Call("PING");
            return connection;
        }
        catch (Exception e)
        {
            connection.Dispose();
            if (e is OperationCanceledException) throw;
            throw Translate(e, endpoint);
        }
    }

    private static void Authenticate(RespConnection connection, string? targetUser, NetworkCredential? credential)
    {
        var password = !string.IsNullOrEmpty(credential?.Password) ? credential.Password : Environment.GetEnvironmentVariable(PasswordVariable);
        if (string.IsNullOrEmpty(password)) return;
        var user = !string.IsNullOrEmpty(credential?.UserName) ? credential.UserName : targetUser;
        try
        {
            // AUTH with one argument logs in as "default" and also works on Redis before 6 (requirepass).
            if (string.IsNullOrEmpty(user) || user == "default") connection.Call("AUTH", password);
            else connection.Call("AUTH", user, password);
        }
        catch (RedisServerException e) when (e.ServerMessage.Contains("without any password configured", StringComparison.OrdinalIgnoreCase))
        {
            // The server needs no password (as redis-cli, carry on with a password that was not needed).
        }
    }

    /// <summary>A PsBackupException naming the server and what to do, for failures worth explaining; other exceptions as they are.</summary>
    public static Exception Translate(Exception e, RedisEndpoint endpoint)
    {
        var server = $"Redis {endpoint}";
        return e switch
        {
            PsBackupException => e,
            RedisServerException { Code: "WRONGPASS" or "NOAUTH" } r =>
                new TargetAuthenticationException($"{server} refused the login: {r.ServerMessage}. Check -Credential (user and password) or REDISCLI_AUTH.", e),
            RedisServerException { Code: "NOPERM" } r =>
                new TargetAuthenticationException($"{server}: the user may not run what the backup needs ({r.ServerMessage}). Grant it the commands listed in the Redis section of docs/design.md.", e),
            RedisServerException { ServerMessage: var m } when m.StartsWith("ERR invalid password", StringComparison.OrdinalIgnoreCase)
                                                        || m.StartsWith("ERR Client sent AUTH", StringComparison.OrdinalIgnoreCase) =>
                new TargetAuthenticationException($"{server} refused the login: {m}. Check -Credential or REDISCLI_AUTH.", e),
            SocketException or TimeoutException or EndOfStreamException =>
                new TargetUnavailableException($"{server} is unreachable: {e.Message}.", e),
            IOException { InnerException: SocketException or TimeoutException } =>
                new TargetUnavailableException($"{server} is unreachable: {e.InnerException!.Message}.", e),
            AuthenticationException =>
                new TargetUnavailableException($"{server}: the TLS handshake failed ({e.Message}). Check -UseTls and the server's certificate.", e),
            _ => e,
        };
    }
}
