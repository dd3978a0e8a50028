using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers.PostgreSql.Cluster;

/// <summary>archive_command's work (psbackup-cli archive-wal) and the recoverable window (Get-BackupRecoveryWindow).</summary>
internal static class WalOperations
{
    public static async Task<bool> ArchiveAsync(CollectionScope scope, string file, string name, CancellationToken ct)
    {
        WalFileName.Validate(name);
        if (!File.Exists(file))
            throw new InvalidBackupRequestException("WalFileNotFound", $"WAL file '{file}' does not exist (archive_command passes %p, relative to the data directory).");
        return await new WalArchive(scope.Repository.Store, scope.Name).PushAsync(name, file, scope.Definition, scope.Key, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The window of one cluster target: the continuous stretch of time recovery can reach, from the
    /// end of the earliest base backup whose WAL runs without a gap to the newest one, to the last
    /// commit archived after that. A segment missing, or whose stored object is absent or of another
    /// size than its entry records (cheap: one small read per segment, no hashing), is a gap and
    /// is reported unless retention removed it on purpose (<see cref="WalExpiryRecord"/>).
    /// </summary>
    public static async Task<RecoveryWindow> WindowAsync(CollectionScope scope, string target, IReadOnlyList<BackupManifest> backups, CancellationToken ct)
    {
        var store = scope.Repository.Store;
        var archive = new WalArchive(store, scope.Name);
        var listing = await WalListing.ReadAsync(store, scope.Name, ct).ConfigureAwait(false);
        var expiry = await WalExpiryRecord.ReadAsync(store, scope.Name, ct).ConfigureAwait(false);
        var committed = listing.Committed;
        var window = new RecoveryWindow
        {
            Collection = scope.Name, Target = target,
            WalSegmentCount = committed.Count(WalFileName.IsSegment),
            Timeline = committed.Where(WalFileName.IsSegment).Select(WalFileName.Timeline).DefaultIfEmpty(0).Max(),
        };
        var fulls = backups.Where(b => b.Type == BackupType.Full)
            .Select(b => (Full: b, Record: ClusterProvider.CompleteRecord(b, target))).Where(f => f.Record != null)
            .Select(f => (f.Full, State: ClusterBackupState.From(f.Record!))).ToList();
        window.BaseBackupCount = fulls.Count;
        if (fulls.Count == 0) return window;

        // Usable files: committed, with their data object there at the size the entry records.
        var usable = new SortedSet<string>(committed.Where(n => listing.Files[n].Data.Count > 0), StringComparer.Ordinal);
        var sized = new HashSet<string>(StringComparer.Ordinal);
        List<(BackupManifest Full, ClusterBackupState State, WalChain Chain)> restorable;
        string? unrestorable;
        while (true)
        {
            (restorable, unrestorable) = ([], null);
            foreach (var (full, state) in fulls)
            {
                var size = state.WalSegmentSize;
                var lineage = await WalChain.LineageAsync(archive, usable, state.StartTimeline, scope.Key, ct).ConfigureAwait(false);
                var chain = WalChain.Walk(usable, lineage, WalFileName.SegmentOf(Lsn.Parse(state.StartLsn), size), size);
                if (chain.Reaches(WalFileName.SegmentOf(Lsn.Parse(state.StopLsn), size)))
                    restorable.Add((full, state, chain));
                else
                    unrestorable ??= chain.Missing ?? WalFileName.Segment(lineage.TimelineOf(chain.FirstSegment + (ulong)chain.Segments.Count, size), chain.FirstSegment + (ulong)chain.Segments.Count, size);
            }
            var toCheck = restorable.SelectMany(r => r.Chain.Segments.Concat(r.Chain.HistoryFiles)).Where(sized.Add).ToList();
            var damaged = await WrongSizeAsync(archive, listing, toCheck, ct).ConfigureAwait(false);
            if (damaged.Count == 0) break;
            usable.ExceptWith(damaged);
        }
        window.MissingSegment = unrestorable;
        if (restorable.Count == 0) return window;

        // The window is continuous back to the earliest base whose WAL reaches the next base's end.
        var earliest = restorable.Count - 1;
        while (earliest > 0 && restorable[earliest - 1].Chain.Reaches(WalFileName.SegmentOf(Lsn.Parse(restorable[earliest].State.StopLsn), restorable[earliest].State.WalSegmentSize)))
            earliest--;
        window.Earliest = restorable[earliest].Full.EndTime;
        window.MissingSegment = restorable.Select(r => r.Chain.Missing).FirstOrDefault(m => m != null && expiry.Covering(m) == null) ?? (restorable.Count == fulls.Count ? null : unrestorable);
        window.Latest = await restorable[^1].Chain.LatestCommitAsync(archive, ct).ConfigureAwait(false);
        window.Lag = window.Latest == null ? null : DateTimeOffset.UtcNow - window.Latest.Value;
        return window;
    }

    /// <summary>Files whose stored data object is absent or not the size their entry records (entries read 8 at a time).</summary>
    private static async Task<List<string>> WrongSizeAsync(WalArchive archive, WalListing listing, List<string> names, CancellationToken ct)
    {
        var damaged = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (name, token) =>
        {
            var entry = await archive.ReadEntryAsync(name, token).ConfigureAwait(false);
            var key = archive.DataKey(entry);
            if (!listing.Files[name].Data.Any(d => d.Key == key && d.Size == entry.StoredSize))
                damaged.Add(name);
        }).ConfigureAwait(false);
        return [.. damaged];
    }
}
