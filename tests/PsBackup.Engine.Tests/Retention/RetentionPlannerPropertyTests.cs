using FsCheck;
using FsCheck.Fluent;
using PsBackup.Engine.Retention;
using Xunit.Abstractions;

namespace PsBackup.Engine.Tests.Retention;

/// <summary>
/// The planner over thousands of random histories (FsCheck). The seed is fixed, so runs are
/// reproducible; PSBACKUP_FSCHECK_SEED=&lt;n&gt; runs another one, and a failure names its seed.
/// </summary>
public sealed class RetentionPlannerPropertyTests(ITestOutputHelper output)
{
    private const int Tests = 2000;
    private static readonly string[] Rules = ["last", "hourly", "daily", "weekly", "monthly", "yearly"];

    private void Check(Action<HistoryCase> property)
    {
        var seed = ulong.TryParse(Environment.GetEnvironmentVariable("PSBACKUP_FSCHECK_SEED"), out var given) ? given : 20261121UL;
        var config = Config.QuickThrowOnFailure.WithMaxTest(Tests).WithEndSize(150).WithReplay(seed, 0x9E3779B97F4A7C15UL);
        try
        {
            Prop.ForAll(RandomHistories.Arbitrary, property).Check(config);
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"Falsified with PSBACKUP_FSCHECK_SEED={seed} (set it to replay):\n{e.Message}");
        }
        output.WriteLine($"{Tests} random histories passed (PSBACKUP_FSCHECK_SEED={seed}).");
    }

    private static List<RetentionVerdict> Plan(HistoryCase c, IReadOnlyList<RetentionCandidate>? backups = null) =>
        RetentionPlanner.Plan(backups ?? c.Backups(), RetentionRules.From(c.Policy, c.Zone), c.Now);

    [Fact]
    public void Every_kept_backup_keeps_its_whole_chain() => Check(c =>
    {
        var verdicts = Plan(c).ToDictionary(v => v.Backup.Id);
        foreach (var kept in verdicts.Values.Where(v => v.Keep))
            for (var b = kept.Backup; b.Type == BackupType.Incremental && b.Parent != null && verdicts.TryGetValue(b.Parent, out var parent); b = parent.Backup)
                Assert.True(parent.Keep, $"{kept.Backup.Id} is kept but its ancestor {parent.Backup.Id} is deleted.\n{c}");
    });

    [Fact]
    public void Kept_counts_per_rule_never_exceed_the_policy_and_each_bucket_keeps_one() => Check(c =>
    {
        var verdicts = Plan(c);
        int[] limits = [c.Policy.KeepLast, c.Policy.KeepHourly, c.Policy.KeepDaily, c.Policy.KeepWeekly, c.Policy.KeepMonthly, c.Policy.KeepYearly];
        for (var r = 0; r < Rules.Length; r++)
        {
            var labels = verdicts.SelectMany(v => v.Reasons).Where(x => x.StartsWith(Rules[r] + " ", StringComparison.Ordinal)).ToList();
            if (limits[r] == 0) Assert.Empty(labels);
            if (limits[r] > 0) Assert.True(labels.Count <= limits[r], $"{labels.Count} backups kept as {Rules[r]}, the policy allows {limits[r]}.\n{c}");
            var fresh = labels.Where(l => !l.EndsWith(" (oldest)", StringComparison.Ordinal)).ToList();
            Assert.True(fresh.Count == fresh.Distinct().Count(), $"two backups kept for one {Rules[r]} bucket: {string.Join(", ", fresh)}\n{c}");
        }
    });

    [Fact]
    public void The_newest_full_backup_and_pinned_backups_survive() => Check(c =>
    {
        var verdicts = Plan(c);
        var fulls = verdicts.Where(v => v.Backup.Type == BackupType.Full).ToList();
        var newest = fulls.LastOrDefault(v => v.Backup.Complete) ?? fulls.LastOrDefault();
        if (newest != null) Assert.True(newest.Keep, $"the newest full {newest.Backup.Id} is deleted.\n{c}");
        Assert.All(verdicts.Where(v => v.Backup.Pinned), v => Assert.True(v.Keep, $"pinned {v.Backup.Id} is deleted.\n{c}"));
    });

    [Fact]
    public void A_second_run_deletes_nothing_more() => Check(c =>
    {
        var kept = Plan(c).Where(v => v.Keep).Select(v => v.Backup).ToList();
        var again = Plan(c, kept);
        Assert.True(again.All(v => v.Keep), $"the second run deletes {string.Join(", ", again.Where(v => !v.Keep).Select(v => v.Backup.Id))}.\n{c}");
    });

    [Fact]
    public void Decisions_equal_those_of_the_reference_implementation() => Check(c =>
    {
        var backups = c.Backups();
        var expected = ReferenceRetention.Keep(backups, c.Policy, RetentionRules.ResolveZone(c.Zone), c.Now);
        foreach (var verdict in Plan(c, backups))
        {
            var want = expected[verdict.Backup.Id].Order(StringComparer.Ordinal).ToList();
            var got = verdict.Reasons.Order(StringComparer.Ordinal).ToList();
            Assert.True(want.SequenceEqual(got) && verdict.Keep == want.Count > 0,
                $"{verdict.Backup.Id}: planner {(verdict.Keep ? "keeps" : "deletes")} [{string.Join("; ", got)}], reference [{string.Join("; ", want)}].\n{c}");
        }
    });
}
