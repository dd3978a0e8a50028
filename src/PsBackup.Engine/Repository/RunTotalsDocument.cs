using System.Globalization;

namespace PsBackup.Engine.Repository;

/// <summary>
/// collections/&lt;c&gt;/run-totals/&lt;yyyyMMdd&gt;.json: what pruned run records counted, so the run
/// counters (psbackup_runs_total) never go down when old records go. It counts every record that
/// ended before <see cref="Through"/> (midnight UTC of the day in its name), including what the
/// previous totals counted. Written once (create-if-absent), before any record it counts is
/// deleted; docs/design.md ("Run journal") shows why that needs no lock.
/// </summary>
public sealed class RunTotalsDocument
{
    public const string FormatName = "psbackup-run-totals";
    internal static readonly DocumentType Type = new("Run totals", FormatName, 1, 1);
    private const string DayFormat = "yyyyMMdd";

    public string Format { get; set; } = FormatName;
    public int Version { get; set; } = 1;
    public string Collection { get; set; } = "";

    /// <summary>Records that ended before this moment are counted here.</summary>
    public DateTimeOffset Through { get; set; }

    public List<RunTotal> Runs { get; set; } = [];

    /// <summary>The document's name (without ".json") for totals through <paramref name="through"/>.</summary>
    public static string NameOf(DateTimeOffset through) => through.UtcDateTime.ToString(DayFormat, CultureInfo.InvariantCulture);

    /// <summary>The moment a totals document's name stands for; null when it is not one.</summary>
    public static DateTimeOffset? ThroughOf(string name) =>
        name.Length == DayFormat.Length && DateTimeOffset.TryParseExact(name, DayFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var day)
            ? day
            : null;
}

/// <summary>How many runs of one operation ended with one outcome, and when the newest of them ended.</summary>
public sealed class RunTotal
{
    public RunOperation Operation { get; set; }
    public RunOutcome Outcome { get; set; }
    public long Count { get; set; }
    public DateTimeOffset? LastEnded { get; set; }
}
