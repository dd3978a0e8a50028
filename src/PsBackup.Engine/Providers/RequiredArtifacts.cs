namespace PsBackup.Engine.Providers;

/// <summary>
/// The artifact every complete target of a kind has, so a manifest that lost it (a hand-edited
/// or truncated one) is refused on read instead of restoring nothing. One line per kind.
/// </summary>
internal static class RequiredArtifacts
{
    public static IEnumerable<string> Of(TargetKind kind, BackupType type) => kind switch
    {
        TargetKind.FileTree => [Files.FileTreeProvider.IndexArtifact],
        TargetKind.PostgreSql => [PostgreSql.PgTableProvider.SchemaArtifact],
        TargetKind.Redis => [Redis.RedisProvider.Artifact],
        // An incremental of a cluster is a range of archived WAL: it has no artifact.
        TargetKind.PostgreSqlCluster => type == BackupType.Full ? [PostgreSql.Cluster.ClusterProvider.BaseArtifact] : [],
        _ => [],
    };
}
