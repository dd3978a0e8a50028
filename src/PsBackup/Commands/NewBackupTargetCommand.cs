using System.Management.Automation;
using PsBackup.Engine.Providers.Files;
using PsBackup.Engine.Providers.MongoDb;
using PsBackup.Engine.Providers.PostgreSql;
using PsBackup.Engine.Providers.PostgreSql.Cluster;
using PsBackup.Engine.Providers.Redis;
using PsBackup.Infrastructure;

namespace PsBackup.Commands;

/// <summary>
/// <para type="synopsis">Describes something to back up: a file tree, PostgreSQL tables, a whole PostgreSQL cluster, a Redis server or MongoDB collections.</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "BackupTarget", DefaultParameterSetName = FileTreeSet)]
[OutputType(typeof(FileTreeTarget), ParameterSetName = [FileTreeSet])]
[OutputType(typeof(PostgreSqlTarget), ParameterSetName = [PostgreSqlSet])]
[OutputType(typeof(PostgreSqlClusterTarget), ParameterSetName = [PostgreSqlClusterSet])]
[OutputType(typeof(RedisTarget), ParameterSetName = [RedisSet])]
[OutputType(typeof(MongoDbTarget), ParameterSetName = [MongoDbSet])]
public sealed class NewBackupTargetCommand : PsBackupCmdlet
{
    private const string FileTreeSet = "FileTree";
    private const string PostgreSqlSet = "PostgreSql";
    private const string PostgreSqlClusterSet = "PostgreSqlCluster";
    private const string RedisSet = "Redis";
    private const string MongoDbSet = "MongoDb";

    /// <summary>Root directory of the tree (relative paths resolve against the current location).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = FileTreeSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Unique name within the collection; defaults to the directory's name.</summary>
    [Parameter]
    public string? Name { get; set; }

    /// <summary>Only files matching one of these globs are backed up.</summary>
    [Parameter(ParameterSetName = FileTreeSet)]
    public string[]? Include { get; set; }

    /// <summary>Files and directories matching one of these globs are skipped (tar --exclude style: node_modules, *.tmp, logs/**).</summary>
    [Parameter(ParameterSetName = FileTreeSet)]
    public string[]? Exclude { get; set; }

    /// <summary>Record no extended attributes: no POSIX ACLs, SELinux labels or file capabilities (tar without --xattrs --acls).</summary>
    [Parameter(ParameterSetName = FileTreeSet)]
    public SwitchParameter NoXattrs { get; set; }

    /// <summary>Incrementals also re-read files whose ctime changed, not only their size or mtime (as restic and borg do): catches a file rewritten with its old size and mtime.</summary>
    [Parameter(ParameterSetName = FileTreeSet)]
    public SwitchParameter UseCtime { get; set; }

    /// <summary>Selects the PostgreSQL parameter set: tables of one database.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PostgreSqlSet)]
    public SwitchParameter PostgreSql { get; set; }

    /// <summary>Host name or address of the PostgreSQL server (default localhost).</summary>
    [Parameter(ParameterSetName = PostgreSqlSet, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = PostgreSqlClusterSet, ValueFromPipelineByPropertyName = true)]
    [Alias("Host")]
    public string? Server { get; set; }

    [Parameter(ParameterSetName = PostgreSqlSet, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = PostgreSqlClusterSet, ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, 65535)]
    public int? Port { get; set; }

    /// <summary>The database (PostgreSQL; MongoDB: else the connection string's path).</summary>
    [Parameter(ParameterSetName = PostgreSqlSet, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = MongoDbSet, ValueFromPipelineByPropertyName = true)]
    public string? Database { get; set; }

    /// <summary>schema.table names or wildcards (public.*); empty: every table of the database.</summary>
    [Parameter(ParameterSetName = PostgreSqlSet)]
    public string[]? Table { get; set; }

    /// <summary>The login's user name, stored with the target (the password never is). For a cluster, a role with REPLICATION.</summary>
    [Parameter(ParameterSetName = PostgreSqlSet)]
    [Parameter(ParameterSetName = PostgreSqlClusterSet)]
    [Alias("ReplicationUser")]
    public string? UserName { get; set; }

    [Parameter(ParameterSetName = PostgreSqlSet)]
    [Parameter(ParameterSetName = PostgreSqlClusterSet)]
    [ValidateSet("Disable", "Allow", "Prefer", "Require", "VerifyCA", "VerifyFull", IgnoreCase = true)]
    public string? SslMode { get; set; }

    /// <summary>
    /// PostgreSQL: Host, Port, Database, Username (and SSL Mode) from an Npgsql connection string.
    /// MongoDB: the mongodb:// or mongodb+srv:// URI. A password in it is never stored.
    /// </summary>
    [Parameter(ParameterSetName = PostgreSqlSet)]
    [Parameter(Mandatory = true, ParameterSetName = MongoDbSet)]
    public string? ConnectionString { get; set; }

    /// <summary>Selects the cluster parameter set: a whole PostgreSQL cluster, physically (base backups + archived WAL, point-in-time restores).</summary>
    [Parameter(Mandatory = true, ParameterSetName = PostgreSqlClusterSet)]
    public SwitchParameter PostgreSqlCluster { get; set; }
    /// <summary>Redis: host:port (or redis://, rediss:// URIs) of the server; several of the same data set are tried in order.</summary>
    [Parameter(Mandatory = true, ParameterSetName = RedisSet)]
    [ValidateNotNullOrEmpty]
    public string[]? RedisEndpoint { get; set; }

    /// <summary>Redis: the ACL user to log in as (the password comes with -Credential or REDISCLI_AUTH at run time).</summary>
    [Parameter(ParameterSetName = RedisSet)]
    public string? RedisUser { get; set; }

    /// <summary>Redis: connect over TLS.</summary>
    [Parameter(ParameterSetName = RedisSet)]
    public SwitchParameter UseTls { get; set; }

    /// <summary>Redis: Snapshot (the whole server, consistent) or Logical (selected databases and keys).</summary>
    [Parameter(ParameterSetName = RedisSet)]
    public RedisBackupMode? RedisMode { get; set; }

    /// <summary>Redis (Logical): the database numbers to copy; default every database holding keys.</summary>
    [Parameter(ParameterSetName = RedisSet)]
    [ValidateRange(0, int.MaxValue)]
    public int[]? RedisDatabase { get; set; }

    /// <summary>Redis (Logical): key patterns (SCAN MATCH globs: user:*, session:?, cart:[0-9]*).</summary>
    [Parameter(ParameterSetName = RedisSet)]
    public string[]? KeyPattern { get; set; }

    /// <summary>Selects the MongoDB parameter set: collections of one database, through the official driver.</summary>
    [Parameter(Mandatory = true, ParameterSetName = MongoDbSet)]
    public SwitchParameter MongoDb { get; set; }

    /// <summary>MongoDB: collection names or wildcards (orders, users*); empty: every collection of the database but system.*.</summary>
    [Parameter(ParameterSetName = MongoDbSet)]
    [SupportsWildcards]
    public string[]? Collection { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == MongoDbSet)
        {
            RunEngine(Database ?? Engine.SecretMasker.Hide(ConnectionString!), (_, bridge, _) =>
            {
                var target = MongoDbTargets.Create(ConnectionString!, Database, Collection, Name, out var droppedPassword);
                if (droppedPassword)
                    bridge.Warning("The password in -ConnectionString is not stored with the target. Give it when backing up and restoring: -Credential.");
                bridge.Output(target);
                return Task.CompletedTask;
            });
            return;
        }
        if (ParameterSetName == PostgreSqlClusterSet)
        {
            RunEngine(Server, (_, bridge, _) =>
            {
                bridge.Output(ClusterTargets.Create(Server ?? "localhost", Port, Name, UserName, SslMode));
                return Task.CompletedTask;
            });
            return;
        }
        if (ParameterSetName == PostgreSqlSet)
        {
            RunEngine(Database ?? Server, (_, bridge, _) =>
            {
                var target = PgTargets.Create(Server, Port, Database, Table, UserName, SslMode, ConnectionString, Name, out var droppedPassword);
                if (droppedPassword)
                    bridge.Warning("The password in -ConnectionString is not stored with the target. Give it when backing up and restoring: -Credential, PGPASSWORD or a .pgpass entry.");
                bridge.Output(target);
                return Task.CompletedTask;
            });
            return;
        }
        if (ParameterSetName == RedisSet)
        {
            RunEngine(string.Join(",", RedisEndpoint!), (_, bridge, _) =>
            {
                bridge.Output(RedisTargets.Create(RedisEndpoint!, Name, RedisUser, UseTls, RedisMode, RedisDatabase, KeyPattern));
                return Task.CompletedTask;
            });
            return;
        }
        RunEngine(Path, (_, bridge, _) =>
        {
            var target = FileTreeTargets.Create(ResolvePath(Path), Name, Include, Exclude);
            (target.NoXattrs, target.UseCtime) = (NoXattrs, UseCtime);
            bridge.Output(target);
            return Task.CompletedTask;
        });
    }
}
