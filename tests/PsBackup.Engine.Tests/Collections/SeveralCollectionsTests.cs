using PsBackup.Engine.Errors;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Collections;

/// <summary>
/// Invoke-Backup of several collections (names, wildcards): each backed up once, in parallel up
/// to the limit, one outcome each; an unknown name and a failing collection are errors of their
/// own while the others complete and restore exactly.
/// </summary>
public sealed class SeveralCollectionsTests : IDisposable
{
    private readonly EngineFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    /// <summary>Records verbose messages in order (they say when each collection takes and gives up its lock).</summary>
    private sealed class Log : IVerboseProgress
    {
        public List<string> Messages { get; } = [];
        public void Report(BackupProgress value) { }
        public void Verbose(string message) { lock (Messages) Messages.Add(message); }
    }

    [Fact]
    public async Task Names_and_wildcards_run_in_parallel_up_to_the_limit_and_a_failure_stops_no_other()
    {
        var trees = new Dictionary<string, TreeBuilder>();
        foreach (var (name, i) in new[] { "app-a", "app-b", "app-c", "db" }.Select((n, i) => (n, i)))
        {
            var tree = new TreeBuilder(_fx.Temp.Combine(name));
            for (var f = 0; f < 12; f++) tree.RandomFile($"d{f % 3}/f{f}.bin", 300_000, i * 100 + f);
            tree.File("readme.txt", name);
            trees[name] = tree;
            await _fx.NewCollectionAsync(name, targets: EngineFixture.Tree("src", tree.Root));
        }
        var gone = _fx.Temp.Combine("gone");
        Directory.CreateDirectory(gone);
        await _fx.NewCollectionAsync("broken", targets: EngineFixture.Tree("src", gone));
        Directory.Delete(gone);

        var log = new Log();
        var requests = new[] { "app-*", "db", "broken", "no-such-collection", "app-a", "zz-*" }
            .Select(name => new BackupRequest(name) { Repository = _fx.Repository }).ToList();
        var outcomes = new List<CollectionBackupOutcome>();
        await foreach (var outcome in _fx.Engine.InvokeBackupsAsync(requests, collectionThrottleLimit: 2, log))
            outcomes.Add(outcome);

        // One outcome per collection: the wildcard's three, app-a once although named twice, nothing for "zz-*".
        Assert.Equal(["app-a", "app-b", "app-c", "broken", "db", "no-such-collection"], outcomes.Select(o => o.Collection).Order(StringComparer.Ordinal));
        Assert.Equal("CollectionNotFound", Assert.IsAssignableFrom<PsBackupException>(outcomes.Single(o => o.Collection == "no-such-collection").Error).ErrorId);
        Assert.NotNull(Assert.IsAssignableFrom<PsBackupException>(outcomes.Single(o => o.Collection == "broken").Error));
        foreach (var name in trees.Keys)
        {
            var outcome = outcomes.Single(o => o.Collection == name);
            Assert.Null(outcome.Error);
            Assert.Empty(outcome.Result!.Failures);
            var restored = _fx.Temp.Combine($"restored-{name}");
            Assert.Null(Assert.Single(await _fx.RestoreAsync(outcome.Result.Backup.Id, restored)).Error);
            TreeSnapshot.AssertEqual(TreeSnapshot.Take(trees[name].Root), TreeSnapshot.Take(restored));
        }

        // Never more than two collections between taking their lock and committing (or failing).
        var open = 0;
        var most = 0;
        foreach (var message in log.Messages)
        {
            if (message.Contains("] Locked collection", StringComparison.Ordinal)) most = Math.Max(most, ++open);
            if (message.Contains("] Committed backup", StringComparison.Ordinal) || message.Contains("': failed (", StringComparison.Ordinal)) open--;
        }
        Assert.Equal(5, log.Messages.Count(m => m.Contains("] Locked collection", StringComparison.Ordinal)));
        Assert.InRange(most, 1, 2);
    }
}
