using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers.PostgreSql.Cluster;

/// <summary>Builds validated cluster targets (New-BackupTarget -PostgreSqlCluster).</summary>
public static class ClusterTargets
{
    /// <summary>A PostgreSQL cluster at "host", "host:port" or "[ipv6]:port" (default port 5432), with its streaming standbys (same syntax).</summary>
    public static PostgreSqlClusterTarget Create(string server, int? portOverride, string? name, string? userName, string? sslMode = null, string[]? standby = null)
    {
        var (host, port) = HostPort(server);
        port = portOverride ?? port;
        var targetName = string.IsNullOrEmpty(name) ? Names.From($"{host}-{port}") : name;
        Names.Validate(targetName, "Target");
        if (sslMode != null && !Enum.TryParse<Npgsql.SslMode>(sslMode, ignoreCase: true, out _))
            throw new InvalidBackupRequestException("InvalidSslMode", $"SSL mode '{sslMode}' is not one of Disable, Allow, Prefer, Require, VerifyCA, VerifyFull.");
        var target = new PostgreSqlClusterTarget { Name = targetName, Host = host, Port = port, UserName = userName, SslMode = sslMode };
        return standby is { Length: > 0 } ? ClusterReplication.WithStandbys(target, standby) : target;
    }

    private static (string Host, int Port) HostPort(string server)
    {
        var colon = server.LastIndexOf(':');
        var bracketed = server.StartsWith('[');
        if (colon < 0 || (bracketed && colon < server.IndexOf(']')) || (!bracketed && server.IndexOf(':') != colon))
            return (server.Trim('[', ']'), 5432);
        if (!int.TryParse(server[(colon + 1)..], out var port) || port is < 1 or > 65535)
            throw new InvalidBackupRequestException("InvalidServer", $"'{server}' is not host:port (port 1–65535).");
        return (server[..colon].Trim('[', ']'), port);
    }
}
