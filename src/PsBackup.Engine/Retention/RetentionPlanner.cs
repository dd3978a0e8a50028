namespace PsBackup.Engine.Retention;

/// <summary>
/// Decides which backups a policy keeps; pure, so it can be planned, shown (-WhatIf) and
/// tested apart from any deletion.
/// <list type="number">
/// <item>The policy's rules, exactly as restic's forget applies them (newest first: pinned,
/// tags, within, then the last/hourly/daily/weekly/monthly/yearly buckets, where a rule with
/// counts left at the oldest backup keeps that one too).</item>
/// <item>The newest complete full backup (else the newest full) is always kept.</item>
/// <item>Chain safety: every kept backup keeps its parent and what its providers declare, to the
/// full backup, so whatever is deleted takes all its descendants with it.</item>
/// </list>
/// </summary>
public static class RetentionPlanner
{
    /// <summary>One verdict per backup, oldest first. <paramref name="now"/> only decides which backups are "in the future" (restic's latest excludes them).</summary>
    public static List<RetentionVerdict> Plan(IReadOnlyList<RetentionCandidate> backups, RetentionRules rules, DateTimeOffset now)
    {
        var list = backups.ToArray();
        Array.Sort(list, NewestFirst);
        var reasons = new List<string>?[list.Length];
        void Keep(int i, string reason) => (reasons[i] ??= new List<string>(2)).Add(reason);

        ApplyRules(list, rules, now, Keep);

        var newestFull = Array.FindIndex(list, b => b.Type == BackupType.Full && b.Complete);
        if (newestFull < 0) newestFull = Array.FindIndex(list, b => b.Type == BackupType.Full);
        if (newestFull >= 0) Keep(newestFull, "newest full");

        KeepDependencies(list, reasons, Keep);

        var verdicts = new List<RetentionVerdict>(list.Length);
        for (var i = list.Length - 1; i >= 0; i--)
            verdicts.Add(new RetentionVerdict(list[i], reasons[i] != null, (IReadOnlyList<string>?)reasons[i] ?? []));
        return verdicts;
    }

    /// <summary>Newest first; equal start times by id, descending (deterministic, like restic's stable sort of a sorted list).</summary>
    public static int NewestFirst(RetentionCandidate a, RetentionCandidate b)
    {
        var byTime = b.StartTime.CompareTo(a.StartTime);
        return byTime != 0 ? byTime : string.CompareOrdinal(b.Id, a.Id);
    }

    private static void ApplyRules(RetentionCandidate[] list, RetentionRules rules, DateTimeOffset now, Action<int, string> keep)
    {
        // restic measures "within" from the newest backup that is not in the future, not from now.
        DateTimeOffset? cutoff = null;
        var anyPast = Array.FindIndex(list, b => b.StartTime < now);
        if (rules.Within is { } within && anyPast >= 0)
            cutoff = list[anyPast].StartTime - DateTimeOffset.MinValue > within ? list[anyPast].StartTime - within : DateTimeOffset.MinValue;
        var withinReason = rules.Within is { } span ? "within " + CalendarBuckets.Span(span) : "";

        int[] counts = [rules.Last, rules.Hourly, rules.Daily, rules.Weekly, rules.Monthly, rules.Yearly];
        var lastKey = new long[counts.Length];
        Array.Fill(lastKey, -1);
        for (var nr = 0; nr < list.Length; nr++)
        {
            var backup = list[nr];
            if (backup.Pinned) keep(nr, "pinned");
            foreach (var tag in backup.Tags.Where(rules.Tags.Contains).Distinct(StringComparer.OrdinalIgnoreCase))
                keep(nr, "tag " + tag);
            if (rules.Within != null && (cutoff == null || backup.StartTime > cutoff))
                keep(nr, withinReason);

            var oldest = nr == list.Length - 1;
            DateTime local = default;
            var localKnown = false;
            for (var r = 0; r < counts.Length; r++)
            {
                if (counts[r] == 0) continue; // off, or all its buckets are filled
                if (r > 0 && !localKnown)
                {
                    local = TimeZoneInfo.ConvertTime(backup.StartTime, rules.Zone).DateTime;
                    localKnown = true;
                }
                var kind = CalendarBuckets.All[Math.Max(r - 1, 0)];
                var key = r == 0 ? nr : CalendarBuckets.Key(kind, local);
                var fresh = key != lastKey[r];
                if (!fresh && !oldest) continue;
                lastKey[r] = key;
                if (counts[r] > 0) counts[r]--;
                var label = r == 0 ? $"last {nr + 1}" : CalendarBuckets.Label(kind, local);
                keep(nr, fresh ? label : label + " (oldest)");
            }
        }
    }

    /// <summary>Kept backups keep their parents and declared dependencies, transitively.</summary>
    private static void KeepDependencies(RetentionCandidate[] list, List<string>?[] reasons, Action<int, string> keep)
    {
        var index = new Dictionary<string, int>(list.Length, StringComparer.Ordinal);
        for (var i = 0; i < list.Length; i++) index[list[i].Id] = i;
        var pending = new Stack<int>();
        for (var i = 0; i < list.Length; i++)
            if (reasons[i] != null) pending.Push(i);
        while (pending.Count > 0)
        {
            var i = pending.Pop();
            var backup = list[i];
            if (backup.Type == BackupType.Incremental && backup.Parent == null)
                keep(i, "chain broken: names no parent");
            foreach (var (dependency, reason) in Dependencies(backup))
            {
                if (!index.TryGetValue(dependency, out var j))
                {
                    keep(i, $"chain broken: {dependency} is missing");
                    continue;
                }
                var wasKept = reasons[j] != null;
                keep(j, reason);
                if (!wasKept) pending.Push(j);
            }
        }
    }

    private static IEnumerable<(string Id, string Reason)> Dependencies(RetentionCandidate backup)
    {
        if (backup.Type == BackupType.Incremental && backup.Parent != null)
            yield return (backup.Parent, "parent of " + backup.Id);
        foreach (var required in backup.Requires)
            yield return (required, "required by " + backup.Id);
    }
}
