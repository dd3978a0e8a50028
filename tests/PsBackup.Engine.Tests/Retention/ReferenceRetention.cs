using System.Globalization;
using PsBackup.Engine.Retention;

namespace PsBackup.Engine.Tests.Retention;

/// <summary>
/// A small, deliberately different formulation of the retention rules, to check the planner
/// against: rules as set operations over buckets (group, order, take N) instead of restic's
/// single newest-first pass with counters, and the chain rule as a fixpoint instead of a work
/// list. Valid for zones whose bucket keys never go back in time as UTC advances (every zone the
/// property tests use: DST changes repeat or skip wall-clock time inside one hour).
/// </summary>
internal static class ReferenceRetention
{
    public static Dictionary<string, List<string>> Keep(IReadOnlyList<RetentionCandidate> backups, RetentionPolicy policy, TimeZoneInfo zone, DateTimeOffset now)
    {
        var newestFirst = backups.OrderByDescending(b => b.StartTime).ThenByDescending(b => b.Id, StringComparer.Ordinal).ToList();
        var reasons = backups.ToDictionary(b => b.Id, _ => new List<string>());
        var past = newestFirst.Where(b => b.StartTime < now).ToList();

        foreach (var b in newestFirst)
        {
            if (b.Pinned) reasons[b.Id].Add("pinned");
            foreach (var tag in b.Tags.Distinct(StringComparer.OrdinalIgnoreCase).Where(t => policy.KeepTags.Contains(t, StringComparer.OrdinalIgnoreCase)))
                reasons[b.Id].Add("tag " + tag);
            if (policy.KeepWithin is { } within && (past.Count == 0 || b.StartTime > past[0].StartTime - within))
                reasons[b.Id].Add("within " + CalendarBuckets.Span(within));
        }

        var last = policy.KeepLast == -1 ? newestFirst.Count : policy.KeepLast;
        for (var i = 0; i < Math.Min(last, newestFirst.Count); i++)
            reasons[newestFirst[i].Id].Add($"last {i + 1}");

        foreach (var (count, label) in new (int, Func<DateTime, string>)[]
                 {
                     (policy.KeepHourly, t => "hourly " + t.ToString("yyyy-MM-dd HH':00'", CultureInfo.InvariantCulture)),
                     (policy.KeepDaily, t => "daily " + t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
                     (policy.KeepWeekly, t => $"weekly {ISOWeek.GetYear(t):D4}-W{ISOWeek.GetWeekOfYear(t):D2}"),
                     (policy.KeepMonthly, t => "monthly " + t.ToString("yyyy-MM", CultureInfo.InvariantCulture)),
                     (policy.KeepYearly, t => "yearly " + t.ToString("yyyy", CultureInfo.InvariantCulture)),
                 })
        {
            if (count == 0 || newestFirst.Count == 0) continue;
            var buckets = newestFirst.GroupBy(b => label(TimeZoneInfo.ConvertTime(b.StartTime, zone).DateTime)).ToList(); // keeps first-seen order
            foreach (var bucket in count == -1 ? buckets : buckets.Take(count))
                reasons[bucket.First().Id].Add(bucket.Key);
            var oldest = newestFirst[^1];
            var oldestBucket = buckets[^1];
            if (oldestBucket.First() != oldest && (count == -1 || buckets.Count < count))
                reasons[oldest.Id].Add(oldestBucket.Key + " (oldest)");
        }

        var newestFull = newestFirst.FirstOrDefault(b => b.Type == BackupType.Full && b.Complete) ?? newestFirst.FirstOrDefault(b => b.Type == BackupType.Full);
        if (newestFull != null) reasons[newestFull.Id].Add("newest full");

        // Chain rule as a fixpoint: repeat until no kept backup has an unkept parent.
        var byId = backups.ToDictionary(b => b.Id);
        var kept = reasons.Where(r => r.Value.Count > 0).Select(r => r.Key).ToHashSet();
        bool changed;
        do
        {
            changed = false;
            foreach (var id in kept.ToList())
            {
                var b = byId[id];
                if (b.Type != BackupType.Incremental || b.Parent == null || !byId.ContainsKey(b.Parent)) continue;
                changed |= kept.Add(b.Parent);
            }
        } while (changed);
        foreach (var id in kept)
        {
            var b = byId[id];
            if (b.Type == BackupType.Incremental && b.Parent == null) reasons[id].Add("chain broken: names no parent");
            else if (b.Type == BackupType.Incremental && !byId.ContainsKey(b.Parent!)) reasons[id].Add($"chain broken: {b.Parent} is missing");
            else if (b.Type == BackupType.Incremental) reasons[b.Parent!].Add("parent of " + id);
        }
        return reasons;
    }
}
