using Newtonsoft.Json.Linq;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Retention;

namespace PsBackup.Engine.Tests.Retention;

/// <summary>The planner on hand-made histories: seed 000's policy, reasons, time zones and DST, chains, validation.</summary>
public sealed class RetentionPlannerTests
{
    private static int _serial;

    private static RetentionCandidate Backup(DateTimeOffset start, BackupType type = BackupType.Full, string? parent = null, bool pinned = false, bool complete = true) =>
        new($"{start.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}_{(type == BackupType.Full ? "full" : "incremental")}_{Interlocked.Increment(ref _serial):x8}", type, start, parent)
            { Pinned = pinned, Complete = complete };

    private static List<RetentionVerdict> Plan(IReadOnlyList<RetentionCandidate> backups, RetentionPolicy policy, DateTimeOffset? now = null) =>
        RetentionPlanner.Plan(backups, RetentionRules.From(policy), now ?? backups.Max(b => b.StartTime) + TimeSpan.FromHours(1));

    [Fact]
    public void Seed_000s_policy_keeps_the_newest_backup_of_every_day_ISO_week_month_and_year_whatever_the_weekday()
    {
        // One full backup every day at 01:30 UTC for three years, ending on a Wednesday.
        var end = new DateTimeOffset(2026, 11, 4, 1, 30, 0, TimeSpan.Zero);
        var backups = Enumerable.Range(0, 3 * 365).Select(d => Backup(end - TimeSpan.FromDays(d))).Reverse().ToList();
        var policy = new RetentionPolicy { KeepDaily = 30, KeepWeekly = 12, KeepMonthly = 12, KeepYearly = 7, TimeZone = "UTC" };

        var verdicts = Plan(backups, policy);
        var kept = verdicts.Where(v => v.Keep).ToList();
        var reasons = verdicts.SelectMany(v => v.Reasons).ToList();
        Assert.Equal(30, reasons.Count(r => r.StartsWith("daily ")));
        Assert.Equal(12, reasons.Count(r => r.StartsWith("weekly ")));
        Assert.Equal(12, reasons.Count(r => r.StartsWith("monthly ")));
        Assert.Equal(4, reasons.Count(r => r.StartsWith("yearly ") && !r.EndsWith("(oldest)"))); // 2023 … 2026 have backups
        Assert.Single(reasons, r => r.StartsWith("yearly 2023") && r.EndsWith("(oldest)")); // restic also keeps the oldest while counts are left

        // Weekly means the newest backup of each ISO week: this week's is Wednesday's, the others Sundays.
        var weekly = verdicts.Where(v => v.Reasons.Any(r => r.StartsWith("weekly "))).Select(v => v.Backup.StartTime).ToList();
        Assert.Equal(DayOfWeek.Wednesday, weekly[^1].DayOfWeek);
        Assert.All(weekly.SkipLast(1), t => Assert.Equal(DayOfWeek.Sunday, t.DayOfWeek));
        // Monthly means the newest backup of each month (the last day), not "day <= 7".
        var monthly = verdicts.Where(v => v.Reasons.Any(r => r.StartsWith("monthly "))).Select(v => v.Backup.StartTime).ToList();
        Assert.All(monthly.SkipLast(1), t => Assert.Equal(DateTime.DaysInMonth(t.Year, t.Month), t.Day));

        var newest = verdicts[^1];
        Assert.Equal(["daily 2026-11-04", "weekly 2026-W45", "monthly 2026-11", "yearly 2026", "newest full"], newest.Reasons);
        Assert.Equal(["daily 2026-10-31", "monthly 2026-10"], verdicts.Single(v => v.Backup.StartTime.Date == new DateTime(2026, 10, 31)).Reasons);
        Assert.Equal(["monthly 2025-12", "yearly 2025"], verdicts.Single(v => v.Backup.StartTime.Date == new DateTime(2025, 12, 31)).Reasons);
        Assert.Equal(["yearly 2024"], verdicts.Single(v => v.Backup.StartTime.Date == new DateTime(2024, 12, 31)).Reasons);
        // 30 days; 12 weeks of which 5 are among the days; 12 months of which 2 are among those;
        // 4 years of which 2 are among those, plus the oldest backup: 30 + 7 + 10 + 3.
        Assert.Equal(50, kept.Count);
    }

    [Fact]
    public void Buckets_are_counted_in_the_policy_time_zone_across_a_DST_change()
    {
        // Europe/Berlin falls back on 2026-10-25 at 01:00 UTC: 02:30 CEST (00:30Z) and 02:30 CET (01:30Z) are one wall-clock hour.
        var first = Backup(new DateTimeOffset(2026, 10, 25, 0, 30, 0, TimeSpan.Zero));
        var second = Backup(new DateTimeOffset(2026, 10, 25, 1, 30, 0, TimeSpan.Zero));
        var late = Backup(new DateTimeOffset(2026, 10, 25, 23, 30, 0, TimeSpan.Zero)); // 00:30 on the 26th in Berlin
        var policy = new RetentionPolicy { KeepHourly = 10, KeepDaily = 10, TimeZone = "Europe/Berlin" };

        var verdicts = Plan([first, second, late], policy).ToDictionary(v => v.Backup.Id);
        Assert.Equal(["hourly 2026-10-26 00:00", "daily 2026-10-26", "newest full"], verdicts[late.Id].Reasons);
        Assert.Equal(["hourly 2026-10-25 02:00", "daily 2026-10-25"], verdicts[second.Id].Reasons);
        Assert.Equal(["hourly 2026-10-25 02:00 (oldest)", "daily 2026-10-25 (oldest)"], verdicts[first.Id].Reasons);

        // In UTC the last backup is still on the 25th, so it shares a day with the others.
        var utc = Plan([first, second, late], new RetentionPolicy { KeepDaily = 1, TimeZone = "UTC" }).ToDictionary(v => v.Backup.Id);
        Assert.Equal(["daily 2026-10-25", "newest full"], utc[late.Id].Reasons);
        Assert.False(utc[second.Id].Keep);
    }

    [Fact]
    public void A_kept_incremental_keeps_its_chain_and_an_unneeded_chain_goes_whole()
    {
        var t = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        var full1 = Backup(t);
        var inc1 = Backup(t.AddHours(1), BackupType.Incremental, full1.Id);
        var full2 = Backup(t.AddHours(2));
        var inc2 = Backup(t.AddHours(3), BackupType.Incremental, full2.Id);
        var inc3 = Backup(t.AddHours(4), BackupType.Incremental, inc2.Id);

        var verdicts = Plan([full1, inc1, full2, inc2, inc3], new RetentionPolicy { KeepLast = 1 }).ToDictionary(v => v.Backup.Id);
        Assert.Equal(["last 1"], verdicts[inc3.Id].Reasons);
        Assert.Equal(["parent of " + inc3.Id], verdicts[inc2.Id].Reasons);
        Assert.Equal(["newest full", "parent of " + inc2.Id], verdicts[full2.Id].Reasons);
        Assert.False(verdicts[inc1.Id].Keep);
        Assert.False(verdicts[full1.Id].Keep);
    }

    [Fact]
    public void Pinned_backups_keep_their_chain_and_a_partial_full_is_not_the_newest_successful_one()
    {
        var t = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        var full1 = Backup(t);
        var pinned = Backup(t.AddHours(1), BackupType.Incremental, full1.Id, pinned: true);
        var full2 = Backup(t.AddHours(2));
        var partial = Backup(t.AddHours(3), complete: false);
        var inc = Backup(t.AddHours(4), BackupType.Incremental, partial.Id);

        var verdicts = Plan([full1, pinned, full2, partial, inc], new RetentionPolicy { KeepLast = 1 }).ToDictionary(v => v.Backup.Id);
        Assert.Equal(["pinned"], verdicts[pinned.Id].Reasons);
        Assert.Equal(["parent of " + pinned.Id], verdicts[full1.Id].Reasons);
        Assert.Equal(["newest full"], verdicts[full2.Id].Reasons);
        Assert.Equal(["parent of " + inc.Id], verdicts[partial.Id].Reasons);
    }

    [Fact]
    public void Within_is_measured_from_the_newest_backup_not_from_now_and_future_backups_do_not_move_it()
    {
        var t = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        var old = Backup(t);
        var recent = Backup(t.AddDays(6));
        var newest = Backup(t.AddDays(8));
        var future = Backup(t.AddDays(30));
        var now = t.AddDays(20);

        var verdicts = Plan([old, recent, newest, future], new RetentionPolicy { KeepWithin = TimeSpan.FromDays(7) }, now).ToDictionary(v => v.Backup.Id);
        Assert.Equal(["within 7d"], verdicts[recent.Id].Reasons);
        Assert.Equal(["within 7d", "newest full"], verdicts[future.Id].Reasons);
        Assert.Equal(["within 7d"], verdicts[newest.Id].Reasons);
        Assert.False(verdicts[old.Id].Keep);
    }

    [Theory]
    [InlineData("Europe/Berlin")]
    [InlineData("W. Europe Standard Time")]
    public void Time_zones_are_IANA_or_Windows_ids(string id)
    {
        var zone = RetentionRules.ResolveZone(id);
        Assert.Equal(TimeSpan.FromHours(1), zone.GetUtcOffset(new DateTime(2026, 1, 15, 12, 0, 0, DateTimeKind.Utc)));
    }

    [Fact]
    public void Bad_policies_are_refused_with_a_clear_error()
    {
        Assert.Equal("InvalidRetentionPolicy", Assert.Throws<InvalidBackupRequestException>(() => RetentionRules.From(new RetentionPolicy())).ErrorId);
        var negative = Assert.Throws<InvalidBackupRequestException>(() => RetentionRules.From(new RetentionPolicy { KeepDaily = -2 }));
        Assert.Contains("KeepDaily is -2", negative.Message);
        Assert.Equal("InvalidRetentionPolicy", Assert.Throws<InvalidBackupRequestException>(() => RetentionRules.From(new RetentionPolicy { KeepWithin = TimeSpan.Zero })).ErrorId);
        var zone = Assert.Throws<InvalidBackupRequestException>(() => RetentionRules.From(new RetentionPolicy { KeepLast = 1, TimeZone = "Mars/Olympus" }));
        Assert.Equal("UnknownTimeZone", zone.ErrorId);
        Assert.Contains("Mars/Olympus", zone.Message);
        // PowerShell's [PsBackup.RetentionPolicy]@{ KeepLast = 1; KeepTags = $null } reads as no tags.
        Assert.Empty(RetentionRules.From(new RetentionPolicy { KeepLast = 1, KeepTags = null! }).Tags);
    }

    [Fact]
    public void A_stored_policy_round_trips_and_an_unknown_rule_stops_a_strict_reader()
    {
        var policy = new RetentionPolicy { KeepDaily = 30, KeepWeekly = 12, KeepYearly = -1, KeepWithin = TimeSpan.FromHours(36), KeepTags = ["release"], TimeZone = "Europe/Berlin" };
        var json = RetentionPolicyJson.ToJson(policy);
        Assert.Equal("P1DT12H", (string?)json["keepWithin"]);
        Assert.Null(json["keepLast"]);
        Assert.Equal(policy.ToString(), RetentionPolicyJson.FromJson(json, "c", strict: true).ToString());

        json["keepEveryFullMoon"] = 3;
        var error = Assert.Throws<RepositoryFormatException>(() => RetentionPolicyJson.FromJson(json, "c", strict: true));
        Assert.Contains("keepEveryFullMoon", error.Message);
        Assert.Equal(30, RetentionPolicyJson.FromJson(json, "c", strict: false).KeepDaily);
        Assert.Throws<RepositoryFormatException>(() => RetentionPolicyJson.FromJson(new JObject { ["keepWithin"] = "seven days" }, "c", strict: true));
    }
}
