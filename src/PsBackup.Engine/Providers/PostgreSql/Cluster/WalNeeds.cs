using System.Globalization;
using PsBackup.Engine.Providers.Capabilities;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers.PostgreSql.Cluster;

/// <summary>A stretch of WAL positions (segment numbers) a kept backup needs, and why; <see cref="To"/> null: to the end of the archive.</summary>
internal sealed record WalNeed(ulong From, ulong? To, string BackupId, string Reason)
{
    public bool Covers(ulong position) => From <= position && (To == null || position <= To);
}

/// <summary>
/// The WAL the backups that stay need (docs/design.md, "WAL expiry"), per cluster target:
/// <list type="bullet">
/// <item>the recovery window from base backup W to the end of the archive, W being the oldest kept
/// full backup or, with KeepLogWithin, the newest one that ended before now − KeepLogWithin;</item>
/// <item>for a pinned backup whose full is older than W, that full's window up to the end of the next kept full;</item>
/// <item>for every other kept backup older than W, the WAL its own restore replays (start to stop).</item>
/// </list>
/// </summary>
internal sealed record WalNeeds(List<WalNeed> Needs, long SegmentSize, int OldestTimeline)
{
    /// <summary>The first position any kept backup reads.</summary>
    public ulong Oldest => Needs.Min(n => n.From);

    /// <summary>Null (with why) when nothing can be judged: no kept base backup, or WAL segment sizes that differ.</summary>
    public static WalNeeds? Of(ArchivedLogRetention request, out string why)
    {
        why = "";
        var kept = request.Kept.OrderBy(m => m.StartTime).ThenBy(m => m.Id, StringComparer.Ordinal).ToList();
        var byId = kept.ToDictionary(m => m.Id);
        var needs = new List<WalNeed>();
        var sizes = new HashSet<long>();
        var timelines = new List<int>();
        var cutoff = request.KeepWithin is { } within ? request.Now - within : (DateTimeOffset?)null;
        foreach (var target in kept.SelectMany(m => m.Targets).Select(t => t.Name).Distinct(StringComparer.Ordinal))
        {
            var records = kept.Select(m => (Backup: m, Record: ClusterProvider.CompleteRecord(m, target)))
                .Where(r => r.Record != null).Select(r => (r.Backup, State: ClusterBackupState.From(r.Record!))).ToList();
            var fulls = records.Where(r => r.Backup.Type == BackupType.Full).ToList();
            if (fulls.Count == 0) continue;
            foreach (var (_, state) in records)
            {
                sizes.Add(state.WalSegmentSize);
                timelines.Add(state.StartTimeline);
            }
            var w = cutoff == null ? 0 : Math.Max(0, fulls.FindLastIndex(f => f.Backup.EndTime <= cutoff));
            var (window, windowState) = fulls[w];
            needs.Add(new WalNeed(Start(windowState), null, window.Id, cutoff == null
                ? $"point-in-time recovery from the oldest kept base backup {window.Id} to the end of the archive"
                : $"point-in-time recovery to any moment after {cutoff.Value.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}Z " +
                  $"(KeepLogWithin {request.KeepWithin!.Value.ToString("c", CultureInfo.InvariantCulture)}), from base backup {window.Id} on"));

            foreach (var (backup, state) in records.Where(r => r.Backup.StartTime < window.StartTime))
            {
                needs.Add(new WalNeed(Start(state), Stop(state), backup.Id, $"restores backup {backup.Id}"));
                if (!request.Pinned.Contains(backup.Id) || ChainFull(backup, byId) is not { } full) continue;
                var at = fulls.FindIndex(f => f.Backup.Id == full.Id);
                if (at < 0) continue; // its full holds no complete copy of this target
                var next = at + 1 < fulls.Count ? at + 1 : -1;
                needs.Add(new WalNeed(Start(fulls[at].State), next < 0 ? null : Stop(fulls[next].State), backup.Id,
                    $"recovery window of pinned backup {backup.Id}" + (next < 0 ? "" : $" (to the end of base backup {fulls[next].Backup.Id})")));
            }
        }
        if (needs.Count == 0)
        {
            why = "no complete base backup of a cluster target stays, so nothing tells which WAL is needed: nothing is removed";
            return null;
        }
        if (sizes.Count > 1)
        {
            why = $"the kept backups record different WAL segment sizes ({string.Join(", ", sizes)}): nothing is removed";
            return null;
        }
        return new WalNeeds(needs, sizes.Single(), timelines.Min());
    }

    private static ulong Start(ClusterBackupState state) => WalFileName.SegmentOf(Lsn.Parse(state.StartLsn), state.WalSegmentSize);

    /// <summary>
    /// The last segment a restore of the backup replays: the one its stop LSN lies in (a full), or the
    /// one its switch closed (an incremental, whose stop LSN is the next segment's very first byte).
    /// </summary>
    public static ulong Stop(ClusterBackupState state) =>
        WalFileName.IsSegment(state.StopSegment)
            ? WalFileName.SegmentNumber(state.StopSegment, state.WalSegmentSize)
            : WalFileName.SegmentOf(Lsn.Parse(state.StopLsn), state.WalSegmentSize);

    private static BackupManifest? ChainFull(BackupManifest backup, Dictionary<string, BackupManifest> byId)
    {
        for (var current = backup; ; )
        {
            if (current.Type == BackupType.Full) return current;
            if (current.Parent == null || !byId.TryGetValue(current.Parent, out var parent)) return null;
            current = parent;
        }
    }
}
