using System.Globalization;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Providers.Redis;

/// <summary>host:port of a Redis server, parsed from "host", "host:port", "[::1]:port" or redis:// / rediss:// URIs.</summary>
internal sealed record RedisEndpoint(string Host, int Port)
{
    public const int DefaultPort = 6379;

    public override string ToString() => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    /// <summary>True for what looks like a server address rather than a directory: a redis:// URI or host:port.</summary>
    public static bool LooksLikeAddress(string text) =>
        text.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase)
        || !text.Contains('/') && !text.Contains('\\') && TryParse(text, out _, out _);

    /// <summary>Parses an address; <paramref name="tls"/> is true for rediss:// URIs.</summary>
    public static RedisEndpoint Parse(string text, out bool tls)
    {
        if (!TryParse(text, out var endpoint, out tls))
            throw new InvalidBackupRequestException("InvalidRedisEndpoint",
                $"'{text}' is not a Redis address: give host:port (redis.example.com:6379, [::1]:6379) or redis://host:port (rediss:// for TLS).");
        return endpoint!;
    }

    private static bool TryParse(string text, out RedisEndpoint? endpoint, out bool tls)
    {
        endpoint = null;
        tls = false;
        text = text.Trim();
        if (text.Contains("://", StringComparison.Ordinal))
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("redis" or "rediss")) return false;
            if (uri.UserInfo.Length > 0)
                throw new InvalidBackupRequestException("PasswordInAddress",
                    $"'{uri.Scheme}://…@{uri.Authority.Split('@')[^1]}': a Redis address must not hold a login; pass it with -Credential or REDISCLI_AUTH.");
            tls = uri.Scheme == "rediss";
            endpoint = new RedisEndpoint(uri.IdnHost, uri.IsDefaultPort || uri.Port < 0 ? DefaultPort : uri.Port);
            return uri.AbsolutePath is "" or "/";
        }
        string host;
        var port = DefaultPort;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']');
            if (close < 0) return false;
            host = text[1..close];
            var after = text[(close + 1)..];
            if (after.Length > 0 && (!after.StartsWith(':') || !int.TryParse(after[1..], NumberStyles.None, CultureInfo.InvariantCulture, out port))) return false;
        }
        else
        {
            var colon = text.LastIndexOf(':');
            host = colon < 0 ? text : text[..colon];
            if (colon >= 0 && !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port)) return false;
            if (host.Contains(':')) return false;
        }
        if (host.Length == 0 || port is < 1 or > 65535 || host.Any(c => char.IsWhiteSpace(c) || c is '/' or '\\' or '@')) return false;
        endpoint = new RedisEndpoint(host, port);
        return true;
    }
}
