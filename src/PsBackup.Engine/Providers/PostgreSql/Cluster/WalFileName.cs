using System.Globalization;
using System.Text.RegularExpressions;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Providers.PostgreSql.Cluster;

/// <summary>
/// The names PostgreSQL gives the files it archives: segments (TTTTTTTTXXXXXXXXYYYYYYYY: timeline,
/// then the segment number as "log" and "seg"), partial segments left by a promotion,
/// backup history files and timeline history files.
/// </summary>
public static partial class WalFileName
{
    public static bool IsValid(string name) => Pattern().IsMatch(name);

    public static void Validate(string name)
    {
        if (!IsValid(name))
            throw new InvalidBackupRequestException("InvalidWalFileName",
                $"'{name}' is not the name of a WAL file PostgreSQL archives (a 24-hex-digit segment, .partial, .backup or .history file).");
    }

    /// <summary>A complete WAL segment (what recovery replays), as opposed to history, backup and partial files.</summary>
    public static bool IsSegment(string name) => name.Length == 24 && IsValid(name);

    public static bool IsHistory(string name) => name.EndsWith(".history", StringComparison.Ordinal) && IsValid(name);

    /// <summary>The timeline every archived file name starts with.</summary>
    public static int Timeline(string name) => int.Parse(name[..8], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);

    public static string History(int timeline) => $"{timeline:X8}.history";

    /// <summary>The segment number (log * segments-per-log + seg) of a segment name.</summary>
    public static ulong SegmentNumber(string name, long segmentSize) =>
        ulong.Parse(name[8..16], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture) * SegmentsPerLog(segmentSize)
        + ulong.Parse(name[16..24], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);

    public static string Segment(int timeline, ulong number, long segmentSize) =>
        $"{timeline:X8}{number / SegmentsPerLog(segmentSize):X8}{number % SegmentsPerLog(segmentSize):X8}";

    public static ulong SegmentOf(Lsn lsn, long segmentSize) => lsn.Value / (ulong)segmentSize;

    private static ulong SegmentsPerLog(long segmentSize) => 0x1_0000_0000UL / (ulong)segmentSize;

    [GeneratedRegex("^([0-9A-F]{24}(\\.partial|\\.[0-9A-F]{8}\\.backup)?|[0-9A-F]{8}\\.history)\\z")]
    private static partial Regex Pattern();
}
