using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers.Redis;

/// <summary>Builds validated Redis targets (New-BackupTarget -RedisEndpoint).</summary>
public static class RedisTargets
{
    /// <summary>
    /// A Redis target. Without a mode: Logical when databases or key patterns are given, else
    /// Snapshot (a snapshot is always of the whole server, so it takes neither).
    /// </summary>
    public static RedisTarget Create(string[] endpoints, string? name, string? userName, bool useTls,
        RedisBackupMode? mode, int[]? databases, string[]? keyPatterns)
    {
        if (endpoints.Length == 0)
            throw new InvalidBackupRequestException("InvalidRedisEndpoint", "Give at least one Redis endpoint (host:port).");
        var tls = useTls;
        foreach (var endpoint in endpoints)
        {
            RedisEndpoint.Parse(endpoint, out var rediss);
            tls |= rediss;
        }
        databases ??= [];
        keyPatterns ??= [];
        if (databases.Any(d => d < 0))
            throw new InvalidBackupRequestException("InvalidRedisDatabase", $"Redis database numbers are 0 or more, not {databases.First(d => d < 0)}.");
        if (keyPatterns.Any(string.IsNullOrEmpty))
            throw new InvalidBackupRequestException("InvalidKeyPattern", "A key pattern is empty; use '*' for every key.");
        var selective = databases.Length > 0 || keyPatterns.Length > 0;
        if (mode == RedisBackupMode.Snapshot && selective)
            throw new InvalidBackupRequestException("RedisSnapshotIsWholeServer",
                "A Redis snapshot always holds the whole server: -Database and -KeyPattern need -Mode Logical.");
        var first = RedisEndpoint.Parse(endpoints[0], out _);
        var targetName = string.IsNullOrEmpty(name) ? Names.From($"redis-{first.Host}-{first.Port}") : name;
        Names.Validate(targetName, "Target");
        return new RedisTarget
        {
            Name = targetName,
            Endpoints = endpoints,
            UserName = string.IsNullOrEmpty(userName) ? null : userName,
            UseTls = tls,
            Mode = mode ?? (selective ? RedisBackupMode.Logical : RedisBackupMode.Snapshot),
            Databases = databases.Distinct().Order().ToArray(),
            KeyPatterns = keyPatterns,
        };
    }
}
