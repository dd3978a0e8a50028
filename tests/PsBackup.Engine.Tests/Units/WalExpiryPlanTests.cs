using PsBackup.Engine.Providers;
using PsBackup.Engine.Providers.Capabilities;
using PsBackup.Engine.Providers.PostgreSql.Cluster;
using PsBackup.Engine.Repository;
using PsBackup.Engine.Storage;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Units;

/// <summary>
/// The WAL expiry plan on synthetic archives (object names only) and backups (manifest states
/// only): which positions kept backups need, per rule, and that the removable stretches are
/// exactly the rest. Real clusters: tests/PostgreSqlCluster/WalRetentionTests.
/// </summary>
public sealed class WalExpiryPlanTests : IDisposable
{
    private const long Size = 16 << 20;
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _temp = new("walplan");
    private readonly LocalObjectStore _store;

    public WalExpiryPlanTests() => _store = new LocalObjectStore(_temp.Combine("repo"));

    public void Dispose()
    {
        _store.Dispose();
        _temp.Dispose();
    }

    private static string Seg(int timeline, ulong number) => WalFileName.Segment(timeline, number, Size);

    private async Task ArchiveAsync(params string[] names)
    {
        foreach (var name in names)
        {
            var folder = $"{WalArchive.Prefix("c")}{WalFileName.Timeline(name):X8}/";
            await _store.PutAsync(folder + name + ".json", "{}"u8.ToArray(), default);
            await _store.PutAsync(folder + name + ".0a1b2c3d.br", new byte[100], default);
        }
    }

    private static BackupManifest Backup(string id, int day, ulong start, ulong stop, BackupType type = BackupType.Full, string? parent = null, int timeline = 1) => new()
    {
        Id = id, Collection = "c", Type = type, Parent = parent, StartTime = T0.AddDays(day), EndTime = T0.AddDays(day).AddMinutes(5),
        Targets =
        [
            new TargetRecord
            {
                Name = "pg", Kind = new PostgreSqlClusterTarget().Kind, Status = TargetStatus.Complete,
                State = new ClusterBackupState
                {
                    WalSegmentSize = Size, StartTimeline = timeline, Timeline = timeline,
                    StartLsn = new Lsn(start * Size + 40).ToString(), StopLsn = new Lsn(stop * Size + 256).ToString(),
                    StartSegment = Seg(timeline, start), StopSegment = Seg(timeline, stop),
                }.ToJson(),
            },
        ],
    };

    private async Task<List<WalRetention.WalRange>> PlanAsync(ArchivedLogRetention request)
    {
        var listing = await WalListing.ReadAsync(_store, "c", default);
        return WalRetention.Plan(listing, WalNeeds.Of(request, out var why), why);
    }

    private static string[] Removed(List<WalRetention.WalRange> plan) => [.. plan.Where(r => r.Remove).SelectMany(r => r.Names)];

    private static IEnumerable<string> Range(ulong from, ulong to, int timeline = 1)
    {
        for (var n = from; n <= to; n++) yield return Seg(timeline, n);
    }

    [Fact]
    public async Task Without_KeepLogWithin_everything_before_the_oldest_kept_base_backup_goes()
    {
        await ArchiveAsync([.. Range(1, 30)]);
        var kept = new[] { Backup("b10", 10, 10, 11), Backup("b20", 20, 20, 21) };
        var plan = await PlanAsync(new ArchivedLogRetention(kept, new HashSet<string>(), null, T0.AddDays(30)));

        Assert.Equal(Range(1, 9), Removed(plan));
        var removed = Assert.Single(plan, r => r.Remove);
        Assert.Equal($"{Seg(1, 1)}..{Seg(1, 9)}", removed.Label);
        Assert.Contains("older than the start of base backup b10", removed.Reasons[0]);
        Assert.Equal(9 * 102, removed.StoredBytes); // entry + data of each
        var keptRange = Assert.Single(plan, r => !r.Remove);
        Assert.Equal($"{Seg(1, 10)}..{Seg(1, 30)}", keptRange.Label);
        Assert.Contains("point-in-time recovery from the oldest kept base backup b10", keptRange.Reasons[0]);
        // Entries go before their data objects.
        var keys = removed.Keys.ToList();
        Assert.True(keys.IndexOf(keys.First(k => k.EndsWith(Seg(1, 1) + ".json"))) < keys.IndexOf(keys.First(k => k.EndsWith(Seg(1, 1) + ".0a1b2c3d.br"))));
    }

    [Fact]
    public async Task With_KeepLogWithin_older_kept_backups_keep_only_their_own_WAL_and_the_window_starts_at_the_last_base_before_it()
    {
        await ArchiveAsync([.. Range(1, 40)]);
        var kept = new[] { Backup("b5", 5, 5, 6), Backup("b15", 15, 15, 16), Backup("b25", 25, 25, 25), Backup("i27", 27, 25, 28, BackupType.Incremental, "b25"), Backup("b35", 35, 35, 36) };
        // Now day 40, window 10 days: moments after day 30; the newest base that ended before is b25.
        var plan = await PlanAsync(new ArchivedLogRetention(kept, new HashSet<string>(), TimeSpan.FromDays(10), T0.AddDays(40)));

        Assert.Equal([.. Range(1, 4), .. Range(7, 14), .. Range(17, 24)], Removed(plan));
        Assert.Equal(3, plan.Count(r => r.Remove));
        Assert.Contains(plan, r => !r.Remove && r.Label == $"{Seg(1, 5)}..{Seg(1, 6)}" && r.Reasons.SequenceEqual(["restores backup b5"]));
        Assert.Contains(plan, r => !r.Remove && r.Label == $"{Seg(1, 25)}..{Seg(1, 40)}" && r.Reasons[0].Contains("KeepLogWithin 10.00:00:00") && r.Reasons[0].Contains("from base backup b25"));
        var between = plan.Single(r => r.Remove && r.Names[0] == Seg(1, 7));
        Assert.Contains("after the WAL backup b5 needs and before the WAL backup b15 needs", between.Reasons[0]);
    }

    [Fact]
    public async Task A_pinned_backup_keeps_its_recovery_window_to_the_end_of_the_next_base_backup()
    {
        await ArchiveAsync([.. Range(1, 40)]);
        var kept = new[] { Backup("b5", 5, 5, 6), Backup("i8", 8, 6, 8, BackupType.Incremental, "b5"), Backup("b15", 15, 15, 16), Backup("b35", 35, 35, 36) };
        var plan = await PlanAsync(new ArchivedLogRetention(kept, new HashSet<string> { "i8" }, TimeSpan.FromDays(2), T0.AddDays(40)));

        // i8 is pinned: b5's window (5 .. b15's stop 16) stays; b15 keeps only 15..16; b35 starts the window.
        Assert.Equal([.. Range(1, 4), .. Range(17, 34)], Removed(plan));
        Assert.Contains(plan, r => !r.Remove && r.Reasons.Any(x => x.Contains("recovery window of pinned backup i8 (to the end of base backup b15)")));
    }

    [Fact]
    public async Task Timeline_history_goes_once_every_kept_backup_and_remaining_file_is_on_a_later_timeline()
    {
        // Timeline 1 to segment 12, promoted: timeline 2 from 12 on.
        await ArchiveAsync([.. Range(1, 11), Seg(1, 12) + ".partial", "00000002.history", .. Range(12, 20, timeline: 2)]);
        var onTwo = new[] { Backup("b15", 15, 15, 16, timeline: 2) };
        var plan = await PlanAsync(new ArchivedLogRetention(onTwo, new HashSet<string>(), null, T0.AddDays(30)));
        Assert.Equal([.. Range(1, 11), Seg(1, 12) + ".partial", .. Range(12, 14, timeline: 2)], Removed(plan));
        Assert.Contains(plan, r => !r.Remove && r.Names.SequenceEqual(["00000002.history"])); // timeline 2 is still read

        // A base backup on timeline 1 stays: the history of its lineage and everything from it stay.
        var onOne = new[] { Backup("b3", 3, 3, 4), Backup("b15", 15, 15, 16, timeline: 2) };
        plan = await PlanAsync(new ArchivedLogRetention(onOne, new HashSet<string>(), null, T0.AddDays(30)));
        Assert.Equal(Range(1, 2), Removed(plan));
    }

    [Fact]
    public async Task Without_a_kept_base_backup_nothing_is_removed_and_the_plan_says_why()
    {
        await ArchiveAsync([.. Range(1, 5)]);
        var plan = await PlanAsync(new ArchivedLogRetention([], new HashSet<string>(), null, T0));
        var only = Assert.Single(plan);
        Assert.False(only.Remove);
        Assert.Contains("nothing is removed", only.Reasons[0]);
    }

    [Fact]
    public async Task Leftover_data_objects_without_an_entry_go_with_their_stretch_and_the_record_merges_adjacent_stretches()
    {
        await ArchiveAsync([.. Range(1, 12)]);
        var folder = $"{WalArchive.Prefix("c")}00000001/";
        await _store.PutAsync(folder + Seg(1, 3) + ".ffffffff.br", new byte[7], default); // a racing archiver's loser
        await _store.PutAsync(folder + Seg(1, 13) + ".eeeeeeee.br", new byte[7], default); // an archiver died before its entry
        var kept = new[] { Backup("b10", 10, 10, 11) };
        var plan = await PlanAsync(new ArchivedLogRetention(kept, new HashSet<string>(), null, T0.AddDays(30)));
        var removed = Assert.Single(plan, r => r.Remove);
        Assert.Contains(folder + Seg(1, 3) + ".ffffffff.br", removed.Keys);
        Assert.DoesNotContain(plan.Where(r => r.Remove).SelectMany(r => r.Keys), k => k.Contains(Seg(1, 13))); // needed position: kept

        await WalExpiryRecord.AddAsync(_store, "c", [(Seg(1, 1), Seg(1, 4))], T0, 0, Size, default);
        await WalExpiryRecord.AddAsync(_store, "c", [(Seg(1, 5), Seg(1, 9)), (Seg(2, 20), Seg(2, 22))], T0.AddDays(1), 0, Size, default);
        var record = await WalExpiryRecord.ReadAsync(_store, "c", default);
        Assert.Equal(2, record.Ranges.Count);
        Assert.Equal((Seg(1, 1), Seg(1, 9)), (record.Ranges[0].First, record.Ranges[0].Last));
        Assert.NotNull(record.Covering(Seg(2, 7))); // positions, whatever the timeline
        Assert.Null(record.Covering(Seg(1, 10)));
        await WalExpiryRecord.AddAsync(_store, "c", [], T0, 15, Size, default); // nothing is read before 15 any more
        Assert.Single((await WalExpiryRecord.ReadAsync(_store, "c", default)).Ranges);
    }
}
