using System.Globalization;
using PsBackup.Engine.Metrics;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Tests.Drills;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Monitoring;

/// <summary>
/// The psbackup_drill_* samples against real restore drills: after a passed drill with objectives,
/// each sample is the drill's own measurement (end, RTO, data loss, objectives); after a failed
/// drill of the same target, the newest one (the failure) is what the samples say, per target.
/// </summary>
[Collection(DrillCollection.Name)]
public sealed class DrillMetricsTests : IDisposable
{
    private readonly EngineFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    private async Task<Dictionary<string, double>> ExportAsync()
    {
        var text = await _fx.Engine.ExportMetricsAsync(new MetricsRequest { Repository = _fx.Repository });
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n').Where(l => l.StartsWith("psbackup_drill_", StringComparison.Ordinal)))
        {
            var space = line.LastIndexOf(' ');
            samples.Add(line[..space], double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture));
        }
        return samples;
    }

    private string Key(string metric, string target) =>
        $"{metric}{{collection=\"app\",repository=\"{_fx.Repository}\",target=\"{target}\",kind=\"FileTree\"}}";

    private async Task<Dictionary<string, RestoreDrillResult>> NewestRecordedAsync() =>
        (await _fx.RecordedAsync("app")).GroupBy(r => r.Target).ToDictionary(g => g.Key, g => g.MaxBy(r => r.StartTime)!);

    private static double Seconds(DateTimeOffset time) => time.ToUnixTimeMilliseconds() / 1000.0;

    [Fact]
    public async Task Drill_samples_are_the_newest_drill_of_each_target_passed_or_failed()
    {
        var one = new TreeBuilder(_fx.Temp.Combine("one")).File("a.txt", new string('a', 50_000)).File("d/b.txt", "beta");
        var two = new TreeBuilder(_fx.Temp.Combine("two")).File("c.txt", "gamma");
        await _fx.NewCollectionAsync("app", targets: [EngineFixture.Tree("one", one.Root), EngineFixture.Tree("two", two.Root)]);
        var full = await _fx.BackupAsync("app");
        Assert.Empty(await ExportAsync()); // no drill yet: no drill samples

        var passed = (await _fx.DrillAsync(new RestoreDrillRequest("app") { MaxRto = TimeSpan.FromHours(1), MaxRpo = TimeSpan.FromDays(2) }))
            .ToDictionary(o => o.Result.Target, o => o.Result);
        Assert.Equal(["one", "two"], passed.Keys.Order());
        Assert.All(passed.Values, r => Assert.True(r.Status == DrillStatus.Passed, r.Reason));
        passed = await NewestRecordedAsync(); // what the repository keeps (times to the millisecond): what the samples come from
        var samples = await ExportAsync();
        foreach (var (target, result) in passed)
        {
            Assert.Equal(1, samples[Key("psbackup_drill_last_success", target)]);
            Assert.Equal(Seconds(result.StartTime + result.Duration), samples[Key("psbackup_drill_last_timestamp_seconds", target)], 3);
            Assert.Equal(result.RestoreDuration.TotalSeconds, samples[Key("psbackup_drill_last_rto_seconds", target)], 3);
            Assert.True(result.RestoreDuration > TimeSpan.Zero);
            Assert.Equal(3600, samples[Key("psbackup_drill_rto_objective_seconds", target)]);
            Assert.Equal(2 * 86400, samples[Key("psbackup_drill_rpo_objective_seconds", target)]);
            Assert.Equal(result.DataLoss!.Value.TotalSeconds, samples[Key("psbackup_drill_last_data_loss_seconds", target)], 3);
        }
        Assert.Equal(12, samples.Count); // six per target, nothing else

        // Target one's pack flipped: its next drill fails; target two's newest drill is still the passed one.
        var pack = Directory.EnumerateFiles(Path.Combine(_fx.Repository, "collections", "app", "backups", full.Id, "one"), "pack-0*").Single();
        var bytes = await File.ReadAllBytesAsync(pack);
        bytes[bytes.Length / 2] ^= 0x10;
        await File.WriteAllBytesAsync(pack, bytes);
        var failed = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("app") { Targets = ["one"] })).Result;
        Assert.Equal(DrillStatus.Failed, failed.Status);
        Assert.Equal("ArtifactCorrupt", failed.ErrorId);
        failed = (await NewestRecordedAsync())["one"];
        Assert.Equal(DrillStatus.Failed, failed.Status);

        samples = await ExportAsync();
        Assert.Equal(0, samples[Key("psbackup_drill_last_success", "one")]);
        Assert.Equal(Seconds(failed.StartTime + failed.Duration), samples[Key("psbackup_drill_last_timestamp_seconds", "one")], 3);
        Assert.True(samples[Key("psbackup_drill_last_timestamp_seconds", "one")] > samples[Key("psbackup_drill_last_timestamp_seconds", "two")]);
        Assert.False(samples.ContainsKey(Key("psbackup_drill_rto_objective_seconds", "one"))); // that drill had none
        Assert.Equal(1, samples[Key("psbackup_drill_last_success", "two")]);
        Assert.Equal(passed["two"].RestoreDuration.TotalSeconds, samples[Key("psbackup_drill_last_rto_seconds", "two")], 3);
        Assert.Equal(3600, samples[Key("psbackup_drill_rto_objective_seconds", "two")]);
    }
}
