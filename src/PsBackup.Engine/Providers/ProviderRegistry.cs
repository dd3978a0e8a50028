using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers.Files;

namespace PsBackup.Engine.Providers;

/// <summary>The provider for each target kind.</summary>
public static class ProviderRegistry
{
    private static readonly Dictionary<TargetKind, IBackupProvider> Providers = new()
    {
        [TargetKind.FileTree] = new FileTreeProvider(),
        [TargetKind.PostgreSql] = new PostgreSql.PgTableProvider(),
        [TargetKind.PostgreSqlCluster] = new PostgreSql.Cluster.ClusterProvider(),
        [TargetKind.Redis] = new Redis.RedisProvider(),
    };

    public static IBackupProvider For(TargetKind kind) =>
        Providers.TryGetValue(kind, out var provider)
            ? provider
            : throw new PsBackupException("TargetKindNotSupported", ErrorKind.NotImplemented, $"No provider for targets of kind {kind}.");
}
