namespace PsBackup;

/// <summary>How a Redis target is copied.</summary>
public enum RedisBackupMode
{
    /// <summary>A consistent RDB snapshot of the whole server, fetched over the replication protocol (as redis-cli --rdb).</summary>
    Snapshot,

    /// <summary>Selected databases and keys, read key by key with SCAN, PTTL and DUMP (not one point in time).</summary>
    Logical,
}

/// <summary>
/// A Redis server (standalone or replica). The password is never part of a target: it comes per
/// call (-Credential) or from REDISCLI_AUTH.
/// </summary>
public sealed class RedisTarget : BackupTarget
{
    public override string Kind => "Redis";

    /// <summary>host:port of the server, or several of the same data set (replica first, then primary): the first that answers is used.</summary>
    public string[] Endpoints { get; set; } = [];

    /// <summary>ACL user (Redis 6+); null: the -Credential's user, else the default user.</summary>
    public string? UserName { get; set; }

    /// <summary>Connect over TLS (the server's certificate is checked against the system's trusted roots).</summary>
    public bool UseTls { get; set; }

    public RedisBackupMode Mode { get; set; } = RedisBackupMode.Snapshot;

    /// <summary>Logical mode: databases to copy; empty: every database that holds keys.</summary>
    public int[] Databases { get; set; } = [];

    /// <summary>Logical mode: glob patterns (SCAN MATCH syntax: *, ?, [a-z]); empty: every key.</summary>
    public string[] KeyPatterns { get; set; } = [];

    public override string Location => string.Join(",", Endpoints);
}
