namespace PsBackup.Engine.Providers.PostgreSql.Cluster;

/// <summary>
/// Where an archived file sits in the WAL: segments, their .partial and .backup files carry the
/// segment number after the timeline (the same number on every timeline, since a new timeline
/// continues the old one's WAL positions); timeline history files sit nowhere.
/// </summary>
internal static class WalPosition
{
    public static ulong? Of(string name, long segmentSize) =>
        WalFileName.IsHistory(name) ? null : WalFileName.SegmentNumber(name[..24], segmentSize);

    /// <summary>The position part of a name (log and segment, 16 hex digits): ordinal order is WAL order, whatever the segment size.</summary>
    public static string Key(string name) => name[8..24];

    /// <summary>The position key of segment number <paramref name="segment"/>.</summary>
    public static string Key(ulong segment, long segmentSize) => Key(WalFileName.Segment(1, segment, segmentSize));
}
