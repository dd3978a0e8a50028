using PsBackup.Engine.Operations;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Drills;

/// <summary>Drill tests create and remove scratch places (temporary folders, databases, servers) that the tests count before and after: they run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DrillCollection
{
    public const string Name = "Restore drills";
}

public static class DrillSupport
{
    public static async Task<List<RestoreDrillOutcome>> DrillAsync(this EngineFixture fx, RestoreDrillRequest request,
        IProgress<BackupProgress>? progress = null, CancellationToken ct = default)
    {
        var outcomes = new List<RestoreDrillOutcome>();
        await foreach (var outcome in fx.Engine.InvokeRestoreDrillAsync(request with { Repository = request.Repository ?? fx.Repository }, progress, ct))
            outcomes.Add(outcome);
        return outcomes;
    }

    public static async Task<List<RestoreDrillResult>> RecordedAsync(this EngineFixture fx, string? collection = null, bool latest = false)
    {
        var records = await fx.Engine.GetRestoreDrillsAsync(new RestoreDrillQuery { Repository = fx.Repository, Collection = collection, Latest = latest });
        Assert.Empty(records.Damaged);
        return records.Drills;
    }

    /// <summary>The drills' temporary folders now present (psbackup-drill-* under the temp directory).</summary>
    public static HashSet<string> ScratchFolders() =>
        Directory.EnumerateDirectories(Path.GetTempPath(), "psbackup-drill-*").ToHashSet(StringComparer.Ordinal);

    /// <summary>A passed drill with its checks all passed, and times between the wall clock read around it.</summary>
    public static RestoreDrillResult AssertPassed(RestoreDrillOutcome outcome, DateTimeOffset before, DateTimeOffset after, DateTimeOffset restoredPoint)
    {
        var result = outcome.Result;
        Assert.True(outcome.Error == null, outcome.Error?.Message);
        Assert.True(result.Status == DrillStatus.Passed, result.Reason);
        Assert.Equal("", result.Reason);
        Assert.Equal(0, result.ChecksFailed);
        Assert.True(result.ChecksPassed >= 1);
        Assert.Equal(result.ChecksPassed, result.CheckList.Length);
        Assert.InRange(result.RestoreDuration, TimeSpan.FromTicks(1), after - before);
        Assert.InRange(result.Duration, result.RestoreDuration, after - before);
        Assert.InRange(result.StartTime, before, after);
        Assert.Equal(restoredPoint, result.RestoredPointInTime);
        Assert.NotNull(result.DataLoss);
        Assert.InRange(result.DataLoss!.Value, before - restoredPoint, after - restoredPoint);
        return result;
    }

    public static RestoreDrillCheck Check(this RestoreDrillResult result, string nameStart) =>
        Assert.Single(result.CheckList, c => c.Name.StartsWith(nameStart, StringComparison.Ordinal));
}
