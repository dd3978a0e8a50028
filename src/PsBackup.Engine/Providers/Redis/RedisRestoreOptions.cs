namespace PsBackup.Engine.Providers.Redis;

/// <summary>Restore-Backup's options for Redis targets restored into a running server.</summary>
public sealed record RedisRestoreOptions
{
    /// <summary>Prepended to every restored key name; null: keys keep their names.</summary>
    public string? KeyPrefix { get; init; }

    /// <summary>Source database number to destination database number; unmapped databases keep their number.</summary>
    public IReadOnlyDictionary<int, int>? DatabaseMap { get; init; }
}
