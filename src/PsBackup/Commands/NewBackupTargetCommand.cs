using System.Management.Automation;
using PsBackup.Engine.Operations;
using PsBackup.Infrastructure;

namespace PsBackup.Commands;

/// <summary>
/// <para type="synopsis">Describes something to back up: a file tree (more engines to come).</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "BackupTarget", DefaultParameterSetName = FileTreeSet)]
[OutputType(typeof(FileTreeTarget))]
[OutputType(typeof(PostgreSqlClusterTarget), ParameterSetName = [PostgreSqlClusterSet])]
public sealed class NewBackupTargetCommand : PsBackupCmdlet
{
    private const string FileTreeSet = "FileTree";
    private const string PostgreSqlClusterSet = "PostgreSqlCluster";

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

    /// <summary>A whole PostgreSQL cluster, physically (base backups + archived WAL, point-in-time restores): "host", "host:port".</summary>
    [Parameter(Mandatory = true, ParameterSetName = PostgreSqlClusterSet)]
    [ValidateNotNullOrEmpty]
    public string PostgreSqlCluster { get; set; } = "";

    /// <summary>The cluster's login for pg_basebackup: a role with REPLICATION (default: -Credential's user, else PGUSER). Never a password.</summary>
    [Parameter(ParameterSetName = PostgreSqlClusterSet)]
    public string? ReplicationUser { get; set; }

    protected override void ProcessRecord() =>
        RunEngine(ParameterSetName == PostgreSqlClusterSet ? PostgreSqlCluster : Path, (_, bridge, _) =>
        {
            bridge.Output(ParameterSetName == PostgreSqlClusterSet
                ? TargetFactory.PostgreSqlCluster(PostgreSqlCluster, Name, ReplicationUser)
                : TargetFactory.FileTree(ResolvePath(Path), Name, Include, Exclude));
            return Task.CompletedTask;
        });
}
