using System.Globalization;

namespace PsBackup.Engine.Providers.PostgreSql.Cluster;

/// <summary>
/// A timeline's ancestry, from its .history file ("1\t0/5000000\treason" per ancestor): which
/// timeline each stretch of WAL belongs to. Recovery reads segment s from the newest timeline of
/// the lineage that began at or before s, as PostgreSQL does.
/// </summary>
public sealed class TimelineHistory
{
    private readonly List<(int Timeline, Lsn Begin)> _lineage; // oldest first

    private TimelineHistory(List<(int, Lsn)> lineage) => _lineage = lineage;

    public int Timeline => _lineage[^1].Timeline;

    public IEnumerable<int> Timelines => _lineage.Select(l => l.Timeline);

    public static TimelineHistory Initial(int timeline) => new([(timeline, new Lsn(0))]);

    public static TimelineHistory Parse(int timeline, string content)
    {
        var lineage = new List<(int, Lsn)>();
        var begin = new Lsn(0);
        foreach (var raw in content.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var fields = line.Split((char[])['\t', ' '], 3, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2 || !int.TryParse(fields[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var parent))
                throw new Errors.IntegrityException($"Timeline history {WalFileName.History(timeline)} has an unreadable line: '{line}'.");
            lineage.Add((parent, begin));
            begin = Lsn.Parse(fields[1]); // where the parent ended is where the next timeline begins
        }
        lineage.Add((timeline, begin));
        return new TimelineHistory(lineage);
    }

    /// <summary>Whether <paramref name="timeline"/> is this timeline or one of its ancestors.</summary>
    public bool Contains(int timeline) => _lineage.Exists(l => l.Timeline == timeline);

    /// <summary>The timeline whose file recovery reads for segment number <paramref name="segment"/>.</summary>
    public int TimelineOf(ulong segment, long segmentSize) =>
        _lineage.Last(l => WalFileName.SegmentOf(l.Begin, segmentSize) <= segment || l == _lineage[0]).Timeline;
}
