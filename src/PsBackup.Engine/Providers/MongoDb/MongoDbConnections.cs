using System.Net;
using System.Net.Sockets;
using MongoDB.Driver;
using MongoDB.Driver.Core.Clusters;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Providers.MongoDb;

/// <summary>
/// Clients for a target's server with the login given per call, and the one translation of the
/// driver's failures into PsBackup's errors (a refused login, an unreachable server …).
/// </summary>
internal static class MongoDbConnections
{
    /// <summary>How long to look for a server or open a connection when the URI does not say (the driver's own default is 30 s).</summary>
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A client for <paramref name="connectionString"/>. <paramref name="credential"/> (PSCredential)
    /// replaces the URI's user and password; without it, the URI's user and password are used (a user without a
    /// password fails with TargetAuthenticationFailed). Reads prefer a secondary unless the URI says otherwise.
    /// </summary>
    public static MongoClient Open(string connectionString, NetworkCredential? credential)
    {
        var url = MongoDbNames.ParseUri(connectionString);
        if (credential == null && url.Username != null && url.Password == null && NeedsPassword(url.AuthenticationMechanism))
            throw new TargetAuthenticationException(
                $"{Describe(connectionString)}: the connection string names user '{url.Username}' but no password (PsBackup never stores one). Give it with -Credential.");
        // -Credential is a user and password: it replaces the URI's login for password mechanisms
        // (SCRAM, PLAIN); certificate, Kerberos, AWS and OIDC logins come from the URI as written.
        var withPassword = credential != null && NeedsPassword(url.AuthenticationMechanism);
        var builder = new MongoUrlBuilder(connectionString);
        if (withPassword)
            (builder.Username, builder.Password, builder.AuthenticationMechanism, builder.AuthenticationSource) = (null, null, null, null);
        var settings = MongoClientSettings.FromUrl(builder.ToMongoUrl());
        if (withPassword)
            settings.Credential = Credential(url, credential!);
        if (!HasOption(connectionString, "serverSelectionTimeoutMS")) settings.ServerSelectionTimeout = DefaultTimeout;
        if (!HasOption(connectionString, "connectTimeoutMS")) settings.ConnectTimeout = DefaultTimeout;
        // The seed backs up from a secondary; a standalone server or a primary alone still answers.
        settings.ReadPreference = url.ReadPreference ?? ReadPreference.SecondaryPreferred;
        settings.ApplicationName ??= "PsBackup";
        return new MongoClient(settings);
    }

    private static bool NeedsPassword(string? mechanism) =>
        mechanism is null or "SCRAM-SHA-1" or "SCRAM-SHA-256" or "PLAIN";

    private static MongoCredential Credential(MongoUrl url, NetworkCredential credential)
    {
        var user = string.IsNullOrEmpty(credential.UserName) ? url.Username : credential.UserName;
        if (string.IsNullOrEmpty(user))
            throw new TargetAuthenticationException("-Credential has no user name, and the connection string names none.");
        var source = new[] { url.AuthenticationSource, url.DatabaseName }.FirstOrDefault(s => !string.IsNullOrEmpty(s)) ?? "admin";
        return url.AuthenticationMechanism switch
        {
            null => MongoCredential.CreateCredential(source, user, credential.Password),
            "PLAIN" => MongoCredential.CreatePlainCredential(url.AuthenticationSource ?? "$external", user, credential.Password),
            var mechanism => new MongoCredential(mechanism, new MongoInternalIdentity(source, user), new PasswordEvidence(credential.Password)),
        };
    }

    private static bool HasOption(string connectionString, string option) =>
        connectionString.Contains(option + "=", StringComparison.OrdinalIgnoreCase);

    /// <summary>"MongoDB host:port,…" for messages (no user, no password).</summary>
    public static string Describe(string connectionString) => $"MongoDB {Hosts(connectionString)}";

    /// <summary>The hosts of a connection string as written (no user, no password).</summary>
    public static string Hosts(string connectionString)
    {
        var start = connectionString.IndexOf("://", StringComparison.Ordinal) + 3;
        var end = connectionString.IndexOfAny(['/', '?'], start) is var e and >= 0 ? e : connectionString.Length;
        var hosts = connectionString[start..end];
        return hosts[(hosts.LastIndexOf('@') + 1)..];
    }

    /// <summary>A PsBackupException naming the server and what to do, for failures worth explaining; other exceptions as they are.</summary>
    public static Exception Translate(Exception e, MongoClient? client, string connectionString)
    {
        var server = Describe(connectionString);
        if (e is PsBackupException or OperationCanceledException) return e;
        if (Find<MongoAuthenticationException>(e) is { } auth)
            return new TargetAuthenticationException($"{server} refused the login: {Innermost(auth).Message} Check -Credential and authSource in the connection string.", e);
        return e switch
        {
            MongoCommandException { Code: 13 } denied => new TargetAuthenticationException(
                $"{server}: the user may not run '{denied.Command?.GetElement(0).Name}' ({denied.ErrorMessage}). Give it the backup role (backups) or the restore role (restores).", e),
            MongoCommandException { Code: 239 } => new PsBackupException("MongoSnapshotTooOld", ErrorKind.ResourceUnavailable,
                $"{server}: the backup's snapshot is older than the server keeps history (minSnapshotHistoryWindowInSeconds, 300 s by default). Raise that setting for the length of a backup, or back up fewer collections per target.", e),
            TimeoutException => new TargetUnavailableException($"{server} is unreachable: {Unreachable(client) ?? e.Message.Split(". Client view", 2)[0]}.", e),
            MongoConfigurationException => new InvalidBackupRequestException("InvalidMongoConnectionString", $"{server}: {e.Message}"),
            _ when Find<SocketException>(e) != null || Find<IOException>(e) != null =>
                new TargetUnavailableException($"{server}: the connection failed: {Innermost(e).Message}", e),
            MongoConnectionException => new TargetUnavailableException(
                $"{server}: a connection could not be opened (its handshake or login did not complete: {Innermost(e).Message}).", e),
            _ => e,
        };
    }

    /// <summary>Why the driver's monitor could not reach the servers (the innermost error of each), or null.</summary>
    private static string? Unreachable(MongoClient? client)
    {
        var reasons = client?.Cluster.Description.Servers
            .Where(s => s.HeartbeatException != null)
            .Select(s => $"{Endpoint(s.EndPoint)}: {Innermost(s.HeartbeatException).Message}")
            .ToList();
        return reasons is { Count: > 0 } ? string.Join("; ", reasons) : null;
    }

    private static string Endpoint(EndPoint endpoint) => endpoint switch
    {
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        _ => endpoint.ToString() ?? "",
    };

    private static T? Find<T>(Exception e) where T : Exception
    {
        for (Exception? x = e; x != null; x = x.InnerException)
            if (x is T found) return found;
        return null;
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException != null) e = e.InnerException;
        return e;
    }

    /// <summary>The cluster's shape as the driver discovered it (after the first command).</summary>
    public static ClusterType Topology(MongoClient client) => client.Cluster.Description.Type;
}
