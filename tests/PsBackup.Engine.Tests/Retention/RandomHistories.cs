using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using PsBackup.Engine.Retention;

namespace PsBackup.Engine.Tests.Retention;

/// <summary>One backup of a generated history, relative to the ones before it.</summary>
public sealed record HistoryStep(int GapMinutes, bool Full, int ParentBack, bool Complete, bool Pinned, string[] Tags);

/// <summary>A random history and policy: what one property test run checks.</summary>
public sealed record HistoryCase(DateTimeOffset Origin, HistoryStep[] Steps, RetentionPolicy Policy, string Zone, int NowOffsetMinutes)
{
    /// <summary>The backups: times accumulate the gaps; an incremental's parent is the ParentBack-th backup before it (0: a parent that does not exist).</summary>
    public List<RetentionCandidate> Backups()
    {
        var list = new List<RetentionCandidate>();
        var time = Origin;
        for (var i = 0; i < Steps.Length; i++)
        {
            var step = Steps[i];
            time += TimeSpan.FromMinutes(step.GapMinutes);
            var full = step.Full || (i == 0 && step.ParentBack != 0);
            var type = full ? BackupType.Full : BackupType.Incremental;
            var id = $"{time.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}_{(full ? "full" : "incremental")}_{i:x8}";
            string? parent = full ? null : step.ParentBack == 0 || step.ParentBack > i ? "19990101T000000Z_full_ffffffff" : list[i - step.ParentBack].Id;
            list.Add(new RetentionCandidate(id, type, time, parent) { Complete = step.Complete, Pinned = step.Pinned, Tags = step.Tags });
        }
        return list;
    }

    public DateTimeOffset Now => (Steps.Length == 0 ? Origin : Origin + TimeSpan.FromMinutes(Steps.Sum(s => s.GapMinutes))) + TimeSpan.FromMinutes(NowOffsetMinutes);

    public override string ToString() =>
        $"zone {Zone}, policy {{{Policy}}}, now {Now:O}\n" +
        string.Join("\n", Backups().Select(b => $"  {b.Id} {b.StartTime:O} parent={b.Parent} complete={b.Complete} pinned={b.Pinned} tags={string.Join(",", b.Tags)}"));
}

/// <summary>FsCheck generators of histories: full/incremental mixes, irregular gaps, DST changes, pinned and tagged backups, broken chains.</summary>
public static class RandomHistories
{
    public static readonly string[] Zones = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "America/Santiago"];

    // Instants a few days before a DST change in one of the zones, so short gaps cross it.
    private static readonly DateTimeOffset[] Origins =
    [
        new(2026, 3, 27, 20, 0, 0, TimeSpan.Zero), // Europe/Berlin springs forward 2026-03-29 01:00 UTC
        new(2026, 10, 23, 20, 0, 0, TimeSpan.Zero), // Europe/Berlin falls back 2026-10-25 01:00 UTC
        new(2026, 10, 30, 12, 0, 0, TimeSpan.Zero), // America/New_York falls back 2026-11-01 06:00 UTC
        new(2026, 4, 3, 10, 0, 0, TimeSpan.Zero), // Australia/Lord_Howe falls back 30 min 2026-04-05
        new(2020, 12, 26, 0, 0, 0, TimeSpan.Zero), // ISO week-year boundary (2020-W53)
        new(2023, 1, 1, 0, 0, 0, TimeSpan.Zero),
    ];

    private static readonly Gen<int> Gap = Gen.Frequency(
        (3, Gen.Choose(0, 59)), // minutes apart, sometimes the same second
        (4, Gen.Choose(60, 36 * 60)), // hours
        (3, Gen.Choose(36 * 60, 20 * 24 * 60)), // days to weeks
        (1, Gen.Choose(20 * 24 * 60, 200 * 24 * 60))); // months

    private static readonly Gen<string[]> Tags = Gen.Frequency(
        (8, Gen.Constant(Array.Empty<string>())),
        (2, Gen.SubListOf(new[] { "prod", "Release", "x" }).Select(l => l.ToArray())));

    private static readonly Gen<HistoryStep> Step =
        from gap in Gap
        from full in Gen.Frequency((1, Gen.Constant(true)), (3, Gen.Constant(false)))
        from parentBack in Gen.Frequency((12, Gen.Constant(1)), (2, Gen.Choose(2, 5)), (1, Gen.Constant(0)))
        from complete in Gen.Frequency((9, Gen.Constant(true)), (1, Gen.Constant(false)))
        from pinned in Gen.Frequency((19, Gen.Constant(false)), (1, Gen.Constant(true)))
        from tags in Tags
        select new HistoryStep(gap, full, parentBack, complete, pinned, tags);

    private static readonly Gen<int> Count = Gen.Frequency((5, Gen.Constant(0)), (6, Gen.Choose(1, 8)), (1, Gen.Constant(-1)));

    private static readonly Gen<RetentionPolicy> Policy =
        from last in Count
        from hourly in Count
        from daily in Count
        from weekly in Count
        from monthly in Count
        from yearly in Count
        from withinHours in Gen.Frequency((3, Gen.Constant(0)), (1, Gen.Choose(1, 60 * 24)))
        from keepTags in Gen.Frequency((3, Gen.Constant(Array.Empty<string>())), (1, Gen.Elements(new[] { "prod" }, new[] { "release", "x" })))
        select Fill(new RetentionPolicy
        {
            KeepLast = last, KeepHourly = hourly, KeepDaily = daily, KeepWeekly = weekly, KeepMonthly = monthly, KeepYearly = yearly,
            KeepWithin = withinHours == 0 ? null : TimeSpan.FromHours(withinHours), KeepTags = keepTags,
        });

    public static readonly Gen<HistoryCase> Cases =
        from origin in Gen.Elements(Origins)
        from steps in Gen.Sized(size => Gen.Choose(0, Math.Max(1, size)).SelectMany(n => Gen.ArrayOf(Step, n)))
        from policy in Policy
        from zone in Gen.Elements(Zones)
        from nowOffset in Gen.Frequency((4, Gen.Choose(0, 3 * 24 * 60)), (1, Gen.Choose(-2 * 24 * 60, 0)))
        select new HistoryCase(origin, steps, policy, zone, nowOffset);

    /// <summary>Shrinks by dropping one backup at a time, so a failure is reported on a short history.</summary>
    public static IEnumerable<HistoryCase> Shrink(HistoryCase value) =>
        Enumerable.Range(0, value.Steps.Length).Select(i => value with { Steps = [.. value.Steps.Take(i), .. value.Steps.Skip(i + 1)] });

    public static Arbitrary<HistoryCase> Arbitrary => Arb.From(Cases, Shrink);

    private static RetentionPolicy Fill(RetentionPolicy policy)
    {
        if (policy.IsEmpty) policy.KeepLast = 1; // an empty policy is refused; not what these tests are about
        return policy;
    }
}
