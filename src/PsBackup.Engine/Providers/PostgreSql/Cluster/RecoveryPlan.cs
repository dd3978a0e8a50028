using System.Globalization;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers.PostgreSql.Cluster;

/// <summary>
/// Which archived WAL files a restore stages and which recovery settings it writes, decided
/// before anything is written: from the base backup's start to the segment holding the recovery
/// target (the first commit past a point in time, the target LSN, the incremental's closing
/// switch, or all archived WAL), along the newest timeline lineage that includes the base.
/// A target outside the recoverable window, or a gap on the way, is refused here.
/// </summary>
internal sealed record RecoveryPlan(List<string> Files, List<string> Settings, string Description)
{
    public static async Task<RecoveryPlan> MakeAsync(WalArchive archive, byte[]? key, BackupManifest full, ClusterBackupState @base,
        BackupManifest head, ClusterBackupState headState, RecoveryTarget? recovery, string where, CancellationToken ct)
    {
        var size = @base.WalSegmentSize;
        var names = await archive.ListAsync(ct).ConfigureAwait(false);
        var expiry = await archive.ReadExpiryAsync(ct).ConfigureAwait(false);
        var lineage = await WalChain.LineageAsync(archive, names, @base.StartTimeline, key, ct).ConfigureAwait(false);
        var first = WalFileName.SegmentOf(Lsn.Parse(@base.StartLsn), size);
        var chain = WalChain.Walk(names, lineage, first, size);
        var stop = WalFileName.SegmentOf(Lsn.Parse(@base.StopLsn), size);
        if (!chain.Reaches(stop)) throw Missing(chain, archive, expiry, where);

        var settings = new List<string>();
        ulong last;
        string description;
        if (recovery == null && head.Type == BackupType.Full)
        {
            last = stop;
            settings.Add("recovery_target = 'immediate'");
            description = $"the end of base backup {full.Id}";
        }
        else if (recovery == null)
        {
            // All WAL up to the incremental's segment switch; recovery ends where the staged WAL does.
            last = Math.Max(stop, WalFileName.SegmentNumber(headState.StopSegment, size));
            if (!chain.Reaches(last)) throw Missing(chain, archive, expiry, where);
            description = $"incremental backup {head.Id} (WAL to {headState.StopLsn})";
        }
        else if (recovery.EndOfArchive)
        {
            // A gap with WAL after it: "the end" is not reachable, and stopping short would lose data silently.
            if (chain.Missing != null) throw Missing(chain, archive, expiry, where);
            last = chain.LastSegment!.Value;
            description = "the end of the archived WAL";
        }
        else if (recovery.Position != null)
        {
            var lsn = Lsn.Parse(recovery.Position);
            if (lsn < Lsn.Parse(@base.StopLsn) || !chain.Reaches(WalFileName.SegmentOf(lsn, size)))
            {
                if (lsn >= Lsn.Parse(@base.StopLsn) && chain.Missing != null) throw Missing(chain, archive, expiry, where);
                var end = new Lsn((chain.LastSegment!.Value + 1) * (ulong)size);
                throw new RecoveryTargetOutOfRangeException(
                    $"LSN {lsn} cannot be recovered for {where}: the recoverable WAL range is {@base.StopLsn} (end of base backup {full.Id}) to {end} (end of the archived WAL).");
            }
            last = Math.Min(chain.LastSegment!.Value, WalFileName.SegmentOf(lsn, size) + 1); // and the next, where recovery sees it has passed the target
            settings.Add($"recovery_target_lsn = '{lsn}'");
            description = $"LSN {lsn}";
        }
        else
        {
            var time = recovery.Time!.Value;
            var latest = await chain.LatestCommitAsync(archive, ct).ConfigureAwait(false);
            if (time < full.EndTime || latest == null || time > latest)
            {
                if (time >= full.EndTime && chain.Missing != null) throw Missing(chain, archive, expiry, where);
                throw new RecoveryTargetOutOfRangeException(
                    $"{time:yyyy-MM-dd HH:mm:ss.ffffff zzz} cannot be recovered for {where}: the recoverable window is {Window(full.EndTime, latest)}" +
                    (time < full.EndTime ? $" (it starts at the end of base backup {full.Id}, the earliest at or before the requested backup)." : " (it ends at the last commit in the archived WAL)."));
            }
            last = chain.LastSegment!.Value;
            for (var i = (int)(stop - first); i < chain.Segments.Count; i++)
                if ((await archive.ReadEntryAsync(chain.Segments[i], ct).ConfigureAwait(false)).LastCommit >= time)
                {
                    last = first + (ulong)i; // holds the first commit past the target, where recovery stops
                    break;
                }
            settings.Add($"recovery_target_time = '{time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture)}+00'");
            description = $"point in time {time:yyyy-MM-dd HH:mm:ss.ffffff zzz}";
        }
        settings.Add("recovery_target_action = 'promote'");
        settings.Add($"recovery_target_timeline = '{lineage.Timeline}'");
        var files = chain.HistoryFiles.Concat(chain.Segments.Take((int)(last - first + 1))).ToList();
        return new RecoveryPlan(files, settings, description);
    }

    public static string Window(DateTimeOffset earliest, DateTimeOffset? latest) =>
        $"{earliest:yyyy-MM-dd HH:mm:ss.ffffff zzz} to {(latest is { } l ? l.ToString("yyyy-MM-dd HH:mm:ss.ffffff zzz", CultureInfo.InvariantCulture) : "(no commit archived yet)")}";

    private static PsBackupException Missing(WalChain chain, WalArchive archive, WalExpiryRecord expiry, string where)
    {
        var next = chain.FirstSegment + (ulong)chain.Segments.Count;
        var name = chain.Missing ?? WalFileName.Segment(chain.Lineage.TimelineOf(next, chain.SegmentSize), next, chain.SegmentSize);
        if (expiry.Covering(name) is { } expired)
            return new RecoveryTargetOutOfRangeException(
                $"The target cannot be recovered for {where}: the WAL from {expired.First} to {expired.Last} was removed by retention on {expired.Removed:yyyy-MM-dd HH:mm} (outside KeepLogWithin), " +
                "so this base backup restores only to its own end. Restore it without a recovery target, or choose a moment within Get-BackupRecoveryWindow.");
        return new WalSegmentMissingException(name, archive.Collection, $"it is not in the repository (restoring {where}); the restore was refused before writing anything");
    }
}
