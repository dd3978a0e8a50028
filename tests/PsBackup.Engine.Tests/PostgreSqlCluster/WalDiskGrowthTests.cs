using System.Diagnostics;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Providers.PostgreSql.Cluster;
using PsBackup.Engine.Tests.Support;
using Xunit.Abstractions;

namespace PsBackup.Engine.Tests.PostgreSqlCluster;

/// <summary>
/// The WAL archive no longer grows without end: 100 segments of real changes archived between two
/// base backups, retention keeping the newest, and the collection's bytes drop to exactly what
/// the kept backup needs (its folder and the WAL from its start on). The numbers are printed
/// (docs/benchmarks.md quotes them).
/// </summary>
public sealed class WalDiskGrowthTests(ITestOutputHelper output) : IDisposable
{
    private readonly EngineFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    private static (int Files, long Bytes) Usage(string folder) =>
        Directory.Exists(folder)
            ? (Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Length, Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length))
            : (0, 0);

    [Fact]
    public async Task After_100_archived_segments_retention_brings_disk_usage_down_to_what_the_kept_backup_needs()
    {
        const int Segments = 100;
        const long Size = 1 << 20;
        using var s = await ClusterScenario.StartAsync(_fx, "growth", walSegmentMegabytes: 1);
        await s.Primary.ExecuteAsync("CREATE TABLE filler (id int, payload text)");
        var clock = Stopwatch.StartNew();
        await _fx.BackupAsync("growth");
        for (var i = 0; s.ArchivedNames().Count(WalFileName.IsSegment) < Segments; i++)
        {
            // ~10 MB of WAL per round (rows of hashes, which compress about 2:1): ten segments filled and archived one after the other.
            await s.Primary.ExecuteAsync($"INSERT INTO filler SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series({i * 60000}, {i * 60000 + 59999}) g");
            await s.Primary.SwitchWalAndWaitArchivedAsync();
        }
        var kept = await _fx.BackupAsync("growth");
        await s.InsertAsync(1);
        await s.Primary.SwitchWalAndWaitArchivedAsync();
        var archiving = clock.Elapsed;

        var collection = Path.Combine(_fx.Repository, "collections", "growth");
        var (wal, backups) = (s.WalFolder(), Path.Combine(collection, "backups"));
        var before = (Wal: Usage(wal), Backups: Usage(backups), Segments: s.ArchivedNames().Count(WalFileName.IsSegment));
        Assert.True(before.Segments >= Segments, $"{before.Segments} segments archived");

        // What the kept backup needs: its folder, and every WAL object from its start on.
        var start = WalFileName.SegmentOf(Lsn.Parse((await s.StateAsync(kept.Id)).StartLsn), Size);
        bool Needed(string file) => Path.GetFileName(file) is var name
                                    && (name.Contains(".history", StringComparison.Ordinal) || (name.Length >= 24 && WalPosition.Of(name[..24], Size) >= start));
        var needed = Directory.GetFiles(wal, "*", SearchOption.AllDirectories).Where(Needed).Sum(f => new FileInfo(f).Length);
        var keptFolder = Usage(Path.Combine(backups, kept.Id)).Bytes;

        var request = new RetentionRequest("growth") { Repository = _fx.Repository, Policy = new RetentionPolicy { KeepLast = 1 } };
        var plan = await _fx.Engine.PlanRetentionAsync(request);
        clock.Restart();
        var applied = new List<RetentionDecision>();
        await foreach (var decision in _fx.Engine.ApplyRetentionAsync(request, plan.Where(d => d.Action == RetentionAction.Delete).Select(d => d.LogRange ?? d.BackupId).ToHashSet()))
            applied.Add(decision);
        var retention = clock.Elapsed;
        var after = (Wal: Usage(wal), Backups: Usage(backups), Segments: s.ArchivedNames().Count(WalFileName.IsSegment));

        Assert.Equal(needed, after.Wal.Bytes);
        Assert.Equal(keptFolder, after.Backups.Bytes);
        var removed = applied.Where(d => d.LogRange != null && d.Deleted).ToList();
        Assert.Equal(before.Wal.Bytes - after.Wal.Bytes, removed.Sum(d => d.StoredBytes));
        Assert.True(after.Segments <= 5, $"{after.Segments} segments left");

        output.WriteLine($"archived {before.Segments} WAL segments of 1 MiB (+ 2 base backups) in {archiving.TotalSeconds:0.0} s");
        output.WriteLine($"before retention: WAL {before.Wal.Files} objects, {before.Wal.Bytes:N0} bytes; backups {before.Backups.Bytes:N0} bytes; total {before.Wal.Bytes + before.Backups.Bytes:N0}");
        output.WriteLine($"after  retention: WAL {after.Wal.Files} objects, {after.Wal.Bytes:N0} bytes ({after.Segments} segments); backups {after.Backups.Bytes:N0} bytes; total {after.Wal.Bytes + after.Backups.Bytes:N0}");
        output.WriteLine($"retention removed {removed.Sum(d => d.LogFileCount)} WAL files in {removed.Count} stretch(es) and {applied.Count(d => d.LogRange == null && d.Deleted)} backup(s) in {retention.TotalSeconds:0.00} s");
    }
}
