using Newtonsoft.Json.Linq;

namespace PsBackup.Engine.Providers.PostgreSql.Cluster;

/// <summary>
/// What a cluster target's manifest state records. A full backup: the base backup's WAL range
/// (start, and stop = where it becomes consistent). An incremental: the WAL range it vouches
/// for since the previous backup (all archived, gap-free), ending at a forced segment switch.
/// </summary>
internal sealed class ClusterBackupState
{
    public long WalSegmentSize { get; set; }
    public int ServerVersion { get; set; }
    public string SystemIdentifier { get; set; } = "";
    public int StartTimeline { get; set; }
    public string StartLsn { get; set; } = "";
    public int Timeline { get; set; }
    public string StopLsn { get; set; } = "";
    public string StartSegment { get; set; } = "";
    public string StopSegment { get; set; } = "";

    /// <summary>Files in the base backup (full backups only).</summary>
    public int? Files { get; set; }

    public JObject ToJson() => JObject.FromObject(this, Repository.Json.Serializer);

    public static ClusterBackupState From(Repository.TargetRecord record) =>
        record.State?.ToObject<ClusterBackupState>(Repository.Json.Serializer)
        ?? throw new Errors.IntegrityException($"Target '{record.Name}' records no cluster state.");
}
