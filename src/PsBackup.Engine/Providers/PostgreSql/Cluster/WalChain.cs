namespace PsBackup.Engine.Providers.PostgreSql.Cluster;

/// <summary>
/// The archived WAL that follows a base backup without a gap, along one timeline lineage:
/// segment after segment from the backup's start, each from the timeline recovery would read it
/// on, until the first one the archive lacks.
/// </summary>
internal sealed record WalChain(ulong FirstSegment, List<string> Segments, string? Missing, TimelineHistory Lineage, List<string> HistoryFiles, long SegmentSize)
{
    public ulong? LastSegment => Segments.Count == 0 ? null : FirstSegment + (ulong)Segments.Count - 1;

    public bool Reaches(ulong segment) => LastSegment is { } last && last >= segment;

    /// <summary>The newest timeline whose history includes <paramref name="baseTimeline"/>: where "latest" recovery goes.</summary>
    public static async Task<TimelineHistory> LineageAsync(WalArchive archive, SortedSet<string> names, int baseTimeline, byte[]? key, CancellationToken ct)
    {
        foreach (var history in names.Where(WalFileName.IsHistory).OrderByDescending(WalFileName.Timeline))
        {
            var timeline = WalFileName.Timeline(history);
            if (timeline <= baseTimeline) break;
            var lineage = TimelineHistory.Parse(timeline, await archive.ReadTextAsync(await archive.ReadEntryAsync(history, ct).ConfigureAwait(false), key, ct).ConfigureAwait(false));
            if (lineage.Contains(baseTimeline)) return lineage;
        }
        if (names.Contains(WalFileName.History(baseTimeline)))
            return TimelineHistory.Parse(baseTimeline, await archive.ReadTextAsync(await archive.ReadEntryAsync(WalFileName.History(baseTimeline), ct).ConfigureAwait(false), key, ct).ConfigureAwait(false));
        return TimelineHistory.Initial(baseTimeline);
    }

    public static WalChain Walk(SortedSet<string> names, TimelineHistory lineage, ulong firstSegment, long segmentSize)
    {
        var segments = new List<string>();
        var next = firstSegment;
        for (string name; names.Contains(name = WalFileName.Segment(lineage.TimelineOf(next, segmentSize), next, segmentSize)); next++)
            segments.Add(name);
        // A gap: the next segment is missing while a later one of the lineage exists.
        var gap = names.Any(n => WalFileName.IsSegment(n)
                                 && WalFileName.SegmentNumber(n, segmentSize) is var number && number > next
                                 && WalFileName.Timeline(n) == lineage.TimelineOf(number, segmentSize));
        var histories = lineage.Timelines.Select(WalFileName.History).Where(names.Contains).ToList();
        return new WalChain(firstSegment, segments, gap ? WalFileName.Segment(lineage.TimelineOf(next, segmentSize), next, segmentSize) : null, lineage, histories, segmentSize);
    }

    /// <summary>The last commit time in the chain: the latest moment recovery_target_time can reach.</summary>
    public async Task<DateTimeOffset?> LatestCommitAsync(WalArchive archive, CancellationToken ct)
    {
        for (var i = Segments.Count - 1; i >= 0; i--)
            if ((await archive.ReadEntryAsync(Segments[i], ct).ConfigureAwait(false)).LastCommit is { } commit)
                return commit;
        return null;
    }
}
