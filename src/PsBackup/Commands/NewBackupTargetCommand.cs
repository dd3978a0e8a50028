using System.Management.Automation;
using PsBackup.Engine.Operations;
using PsBackup.Infrastructure;

namespace PsBackup.Commands;

/// <summary>
/// <para type="synopsis">Describes something to back up: a file tree (more engines to come).</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "BackupTarget", DefaultParameterSetName = FileTreeSet)]
[OutputType(typeof(FileTreeTarget))]
[OutputType(typeof(RedisTarget))]
public sealed class NewBackupTargetCommand : PsBackupCmdlet
{
    private const string FileTreeSet = "FileTree";
    private const string RedisSet = "Redis";

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

    protected override void ProcessRecord() =>
        RunEngine(ParameterSetName == RedisSet ? string.Join(",", RedisEndpoint!) : Path, (_, bridge, _) =>
        {
            bridge.Output(ParameterSetName == RedisSet
                ? TargetFactory.Redis(RedisEndpoint!, Name, RedisUser, UseTls, RedisMode, RedisDatabase, KeyPattern)
                : TargetFactory.FileTree(ResolvePath(Path), Name, Include, Exclude));
            return Task.CompletedTask;
        });
}
