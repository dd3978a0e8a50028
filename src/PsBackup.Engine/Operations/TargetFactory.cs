using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Operations;

/// <summary>Builds validated targets (New-BackupTarget), deriving a default name from the location.</summary>
public static class TargetFactory
{
    public static FileTreeTarget FileTree(string fullPath, string? name, string[]? include, string[]? exclude)
    {
        if (!Path.IsPathFullyQualified(fullPath))
            throw new InvalidBackupRequestException("RelativeTargetPath", $"Path '{fullPath}' must be absolute.");
        var path = Path.TrimEndingDirectorySeparator(Path.GetFullPath(fullPath));
        if (!Directory.Exists(path))
            throw new TargetUnavailableException(File.Exists(path)
                ? $"'{path}' is a file; a file-tree target is a directory."
                : $"Directory '{path}' does not exist.") { TargetObject = path };
        var targetName = string.IsNullOrEmpty(name) ? Names.From(Path.GetFileName(path)) : name;
        Names.Validate(targetName, "Target");
        return new FileTreeTarget { Name = targetName, Path = path, Include = include ?? [], Exclude = exclude ?? [] };
    }

    /// <summary>A PostgreSQL cluster at "host", "host:port" or "[ipv6]:port" (default port 5432).</summary>
    public static PostgreSqlClusterTarget PostgreSqlCluster(string server, string? name, string? userName, string? sslMode = null)
    {
        var (host, port) = HostPort(server);
        var targetName = string.IsNullOrEmpty(name) ? Names.From($"{host}-{port}") : name;
        Names.Validate(targetName, "Target");
        if (sslMode != null && !Enum.TryParse<Npgsql.SslMode>(sslMode, ignoreCase: true, out _))
            throw new InvalidBackupRequestException("InvalidSslMode", $"SSL mode '{sslMode}' is not one of Disable, Allow, Prefer, Require, VerifyCA, VerifyFull.");
        return new PostgreSqlClusterTarget { Name = targetName, Host = host, Port = port, UserName = userName, SslMode = sslMode };
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
