namespace PsBackup;

/// <summary>
/// A whole PostgreSQL cluster, backed up physically: a base backup (pg_basebackup) per full
/// backup plus the WAL that PostgreSQL's archive_command pushes into the collection, so any
/// moment between backups can be recovered. The user needs the REPLICATION attribute.
/// </summary>
public sealed class PostgreSqlClusterTarget : PostgreSqlServerTarget
{
    public override string Kind => "PostgreSqlCluster";

    /// <summary>Streaming standbys of the cluster (host:port), for Test-DrEnvironment and Start-Failover; never backed up themselves.</summary>
    public string[] Standby { get; set; } = [];

    public override string Location => $"{Host}:{Port} (cluster)";
}
