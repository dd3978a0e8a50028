using System.Globalization;

namespace PsBackup.Engine.Retention;

/// <summary>
/// The calendar buckets of restic's forget, of a start time seen in the policy's time zone:
/// hour, day, ISO 8601 week (Monday first; week 1 holds the year's first Thursday), month, year.
/// Keys are numbers (cheap to compare); labels are what the reasons show.
/// </summary>
internal enum BucketKind { Hourly, Daily, Weekly, Monthly, Yearly }

internal static class CalendarBuckets
{
    public static readonly BucketKind[] All = [BucketKind.Hourly, BucketKind.Daily, BucketKind.Weekly, BucketKind.Monthly, BucketKind.Yearly];

    public static long Key(BucketKind kind, DateTime local) => kind switch
    {
        BucketKind.Hourly => ((local.Year * 100L + local.Month) * 100 + local.Day) * 100 + local.Hour,
        BucketKind.Daily => (local.Year * 100L + local.Month) * 100 + local.Day,
        BucketKind.Weekly => ISOWeek.GetYear(local) * 100L + ISOWeek.GetWeekOfYear(local),
        BucketKind.Monthly => local.Year * 100L + local.Month,
        _ => local.Year,
    };

    /// <summary>"hourly 2026-11-03 14:00", "daily 2026-11-03", "weekly 2026-W45", "monthly 2026-11", "yearly 2026".</summary>
    public static string Label(BucketKind kind, DateTime local) => kind switch
    {
        BucketKind.Hourly => "hourly " + local.ToString("yyyy-MM-dd HH':00'", CultureInfo.InvariantCulture),
        BucketKind.Daily => "daily " + local.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        BucketKind.Weekly => string.Create(CultureInfo.InvariantCulture, $"weekly {ISOWeek.GetYear(local):D4}-W{ISOWeek.GetWeekOfYear(local):D2}"),
        BucketKind.Monthly => "monthly " + local.ToString("yyyy-MM", CultureInfo.InvariantCulture),
        _ => "yearly " + local.ToString("yyyy", CultureInfo.InvariantCulture),
    };

    /// <summary>A span as the reasons show it: "7d", "1d12h", "90m".</summary>
    public static string Span(TimeSpan span)
    {
        var text = "";
        if (span.Days > 0) text += $"{span.Days}d";
        if (span.Hours > 0) text += $"{span.Hours}h";
        if (span.Minutes > 0) text += $"{span.Minutes}m";
        if (span.Seconds > 0 || text.Length == 0) text += $"{span.Seconds}s";
        return text;
    }
}
