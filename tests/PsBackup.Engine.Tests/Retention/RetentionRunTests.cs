using PsBackup.Engine.Errors;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Repository;
using PsBackup.Engine.Storage;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Retention;

/// <summary>
/// Invoke-RetentionPolicy end to end against a local repository and the S3-compatible server:
/// real backups, real deletions, restores of what is kept, interrupted deletions.
/// </summary>
public sealed class RetentionRunTests : IDisposable
{
    private readonly EngineFixture _fx = new();
    private static readonly RetentionPolicy KeepLastOne = new() { KeepLast = 1 };

    public void Dispose() => _fx.Dispose();

    /// <summary>Two chains in collection "ret": full1 ← inc1, full2 ← inc2a ← inc2b (newest), each with the tree's snapshot.</summary>
    private async Task<Chains> ChainsAsync(RepositoryAddress repository)
    {
        var tree = new TreeBuilder(_fx.Temp.Combine("src"));
        tree.RandomFile("a.bin", 300_000, 1).File("b.txt", "bravo").Directory("empty").TouchDirectories();
        // Target "data": "data/…" sorts before "manifest.json", so a plain prefix delete would remove data before the manifest.
        await _fx.Engine.NewCollectionAsync(new NewCollectionRequest("ret", [EngineFixture.Tree("data", tree.Root)]) { Repository = repository, IncrementalBackupEnabled = true });
        var points = new List<(BackupInfo Backup, SortedDictionary<string, TreeItem> Snapshot)>();
        async Task Take(BackupType type)
        {
            var result = await _fx.Engine.InvokeBackupAsync(new BackupRequest("ret") { Repository = repository, Type = type });
            Assert.Empty(result.Failures);
            points.Add((result.Backup, TreeSnapshot.Take(tree.Root)));
            tree.RandomFile($"f{points.Count}.bin", 50_000, points.Count).File("b.txt", $"bravo {points.Count}").TouchDirectories();
        }
        await Take(BackupType.Full);
        await Take(BackupType.Incremental);
        await Take(BackupType.Full);
        await Take(BackupType.Incremental);
        await Take(BackupType.Incremental);
        return new Chains(points);
    }

    private sealed record Chains(List<(BackupInfo Backup, SortedDictionary<string, TreeItem> Snapshot)> Points)
    {
        public BackupInfo Full1 => Points[0].Backup;
        public BackupInfo Inc1 => Points[1].Backup;
        public BackupInfo Full2 => Points[2].Backup;
        public BackupInfo Inc2a => Points[3].Backup;
        public BackupInfo Inc2b => Points[4].Backup;
    }

    private async Task<List<RetentionDecision>> ApplyAsync(RetentionRequest request, IEnumerable<string>? approved = null)
    {
        approved ??= (await _fx.Engine.PlanRetentionAsync(request)).Where(d => d.Action == RetentionAction.Delete).Select(d => d.BackupId);
        var results = new List<RetentionDecision>();
        await foreach (var decision in _fx.Engine.ApplyRetentionAsync(request, approved.ToHashSet()))
            results.Add(decision);
        return results;
    }

    private static async Task<List<string>> KeysAsync(IObjectStore store, string prefix = "collections/ret/")
    {
        var keys = new List<string>();
        await foreach (var entry in store.ListAsync(prefix, default)) keys.Add(entry.Key);
        return keys;
    }

    private async Task AssertRestorableAsync(RepositoryAddress repository, Chains chains, params BackupInfo[] backups)
    {
        foreach (var backup in backups)
        {
            var destination = _fx.Temp.Combine("restore-" + backup.Id);
            await foreach (var outcome in _fx.Engine.RestoreAsync(new RestoreRequest(backup.Id) { Repository = repository, Destination = destination }))
                Assert.Null(outcome.Error);
            TreeSnapshot.AssertEqual(chains.Points.Single(p => p.Backup.Id == backup.Id).Snapshot, TreeSnapshot.Take(destination));
        }
    }

    private async Task AssertEveryListedBackupVerifiesAsync(RepositoryAddress repository)
    {
        foreach (var backup in await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = repository, Collection = "ret" }))
            await foreach (var finding in _fx.Engine.TestBackupAsync(new VerifyRequest(backup.Id) { Repository = repository }))
                Assert.True(finding.Status == VerificationStatus.Ok, $"{backup.Id}: {finding.ArtifactBackupId}/{finding.Artifact} is {finding.Status}");
    }

    [Fact]
    public async Task Local_plan_deletes_nothing_then_applying_removes_whole_chains_and_a_second_run_deletes_nothing()
    {
        var chains = await ChainsAsync(_fx.Repository);
        var store = RepositoryLocation.OpenStore(_fx.Repository);
        var before = await KeysAsync(store);
        var request = new RetentionRequest("ret") { Repository = _fx.Repository, Policy = KeepLastOne };

        var plan = await _fx.Engine.PlanRetentionAsync(request); // what -WhatIf shows
        Assert.Equal(chains.Points.Select(p => p.Backup.Id), plan.Select(d => d.BackupId));
        Assert.Equal([RetentionAction.Delete, RetentionAction.Delete, RetentionAction.Keep, RetentionAction.Keep, RetentionAction.Keep], plan.Select(d => d.Action));
        Assert.Equal("last 1", plan[4].Reasons);
        Assert.Equal($"parent of {chains.Inc2b.Id}", plan[3].Reasons);
        Assert.Equal($"newest full; parent of {chains.Inc2a.Id}", plan[2].Reasons);
        Assert.Equal("no rule keeps it", plan[0].Reasons);
        Assert.All(plan, d => Assert.False(d.Deleted));
        Assert.True(plan[0].StoredBytes > 0);
        Assert.Equal(before, await KeysAsync(store));

        var applied = await ApplyAsync(request);
        // Deleted first, child before parent, then the kept ones oldest first.
        Assert.Equal([chains.Inc1.Id, chains.Full1.Id, chains.Full2.Id, chains.Inc2a.Id, chains.Inc2b.Id], applied.Select(d => d.BackupId));
        Assert.Equal([true, true, false, false, false], applied.Select(d => d.Deleted));
        foreach (var gone in new[] { chains.Full1, chains.Inc1 })
            Assert.False(Directory.Exists(Path.Combine(_fx.Repository, "collections", "ret", "backups", gone.Id)), $"{gone.Id} is still on disk");
        Assert.DoesNotContain(await KeysAsync(store), k => k.Contains(chains.Full1.Id) || k.Contains(chains.Inc1.Id));
        Assert.Equal([chains.Full2.Id, chains.Inc2a.Id, chains.Inc2b.Id], (await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository, Collection = "ret" })).Select(b => b.Id));
        Assert.False(File.Exists(Path.Combine(_fx.Repository, "collections", "ret", "lock.json")));
        await AssertRestorableAsync(_fx.Repository, chains, chains.Full2, chains.Inc2a, chains.Inc2b);

        var again = await ApplyAsync(request);
        Assert.All(again, d => Assert.Equal(RetentionAction.Keep, d.Action));
        Assert.Equal(3, again.Count);
    }

    [Fact]
    public async Task S3_plan_deletes_nothing_and_applying_really_removes_the_objects()
    {
        var repository = await S3Repository.NewAsync("retention/ok");
        var chains = await ChainsAsync(repository);
        var store = RepositoryLocation.OpenStore(repository);
        var before = await KeysAsync(store);
        var request = new RetentionRequest("ret") { Repository = repository, Policy = KeepLastOne };

        var plan = await _fx.Engine.PlanRetentionAsync(request);
        Assert.Equal(2, plan.Count(d => d.Action == RetentionAction.Delete));
        Assert.Equal(before, await KeysAsync(store));

        var applied = await ApplyAsync(request);
        Assert.Equal([chains.Inc1.Id, chains.Full1.Id], applied.Where(d => d.Deleted).Select(d => d.BackupId));
        var after = await KeysAsync(store);
        Assert.DoesNotContain(after, k => k.Contains(chains.Full1.Id) || k.Contains(chains.Inc1.Id));
        // Besides the deletions, the run's own record in the collection's journal.
        var journaled = Assert.Single(after, k => !before.Contains(k));
        Assert.Matches("^collections/ret/runs/[0-9TZ.]+_retention_succeeded_[0-9a-f]{8}\\.json$", journaled);
        Assert.Equal(before.Where(k => !k.Contains(chains.Full1.Id) && !k.Contains(chains.Inc1.Id)), after.Where(k => k != journaled));
        await AssertRestorableAsync(repository, chains, chains.Inc2b);
    }

    [Fact]
    public async Task S3_an_interrupted_deletion_leaves_no_visible_broken_backup_and_the_next_run_finishes_it()
    {
        var repository = await S3Repository.NewAsync("retention/cut");
        var chains = await ChainsAsync(repository);
        using var proxy = new FaultyProxy(Peers.TestPeers.S3Endpoint);
        var viaProxy = new RepositoryAddress(repository, S3Repository.Options() with
            { Endpoint = proxy.Url, MaxRetries = 1, RetryBaseDelay = TimeSpan.FromMilliseconds(20), RetryMaxDelay = TimeSpan.FromMilliseconds(50) });
        // Manifests can be deleted, data cannot: the run dies right after its first manifest.
        proxy.Decide = r => r.Method == "DELETE" && !r.Target.Contains("/manifest.json") && !r.Target.Contains("/lock.json") ? ProxyFault.SlowDown : null;

        var request = new RetentionRequest("ret") { Repository = viaProxy, Policy = KeepLastOne };
        var error = await Assert.ThrowsAnyAsync<PsBackupException>(() => ApplyAsync(request));
        Assert.Equal("RepositoryUnavailable", error.ErrorId);

        // The child went first, manifest before data; its parent was not touched.
        var deletes = proxy.Requests.Where(r => r.Method == "DELETE" && !r.Target.Contains("/lock.json")).ToList();
        Assert.EndsWith($"{chains.Inc1.Id}/manifest.json", deletes[0].Target);
        Assert.All(deletes.Skip(1), r => Assert.Contains(chains.Inc1.Id, r.Target));
        // Half-deleted is invisible; everything listed verifies.
        Assert.Equal([chains.Full1.Id, chains.Full2.Id, chains.Inc2a.Id, chains.Inc2b.Id],
            (await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = repository, Collection = "ret" })).Select(b => b.Id));
        await AssertEveryListedBackupVerifiesAsync(repository);
        await AssertRestorableAsync(repository, chains, chains.Full1);

        // The leftover is an unfinished folder; with no grace period the next run removes it and finishes the job.
        var plan = await _fx.Engine.PlanRetentionAsync(request with { Repository = repository, UnfinishedGracePeriod = TimeSpan.Zero });
        var leftover = plan.Single(d => d.BackupId == chains.Inc1.Id);
        Assert.True(leftover.Unfinished);
        Assert.Equal(RetentionAction.Delete, leftover.Action);
        Assert.StartsWith("unfinished: no manifest", leftover.Reasons);
        await ApplyAsync(request with { Repository = repository, UnfinishedGracePeriod = TimeSpan.Zero });
        Assert.DoesNotContain(await KeysAsync(RepositoryLocation.OpenStore(repository)), k => k.Contains(chains.Full1.Id) || k.Contains(chains.Inc1.Id));
    }

    [Fact]
    public async Task Local_an_interrupted_deletion_is_invisible_and_cleaned_up_later()
    {
        var chains = await ChainsAsync(_fx.Repository);
        var failing = new FailingDeleteStore(RepositoryLocation.OpenStore(_fx.Repository));
        var repository = await BackupRepository.OpenAsync(failing, create: false, default);
        await Assert.ThrowsAsync<IOException>(() => repository.DeleteBackupAsync("ret", chains.Inc2b.Id, default));
        Assert.Equal([$"collections/ret/backups/{chains.Inc2b.Id}/manifest.json"], failing.Deleted);

        var listed = await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository, Collection = "ret" });
        Assert.DoesNotContain(listed, b => b.Id == chains.Inc2b.Id);
        await AssertEveryListedBackupVerifiesAsync(_fx.Repository);

        // Within the grace period it is reported and kept (a Copy-Backup to resume looks the same) …
        var request = new RetentionRequest("ret") { Repository = _fx.Repository, Policy = new RetentionPolicy { KeepLast = 10 } };
        var kept = (await ApplyAsync(request)).Single(d => d.BackupId == chains.Inc2b.Id);
        Assert.Equal((RetentionAction.Keep, true, false), (kept.Action, kept.Unfinished, kept.Deleted));
        Assert.Contains("within the grace period of 1d", kept.Reasons);
        // … and once its objects are older than that, deleted.
        var later = await ApplyAsync(request with { Now = DateTimeOffset.UtcNow + TimeSpan.FromDays(2) });
        var removed = later.Single(d => d.BackupId == chains.Inc2b.Id);
        Assert.Equal((RetentionAction.Delete, true, true), (removed.Action, removed.Unfinished, removed.Deleted));
        Assert.False(Directory.Exists(Path.Combine(_fx.Repository, "collections", "ret", "backups", chains.Inc2b.Id)));
        Assert.Equal(4, later.Count(d => d.Action == RetentionAction.Keep));
    }

    [Fact]
    public async Task Declining_a_childs_deletion_keeps_its_parent_too()
    {
        var chains = await ChainsAsync(_fx.Repository);
        var request = new RetentionRequest("ret") { Repository = _fx.Repository, Policy = KeepLastOne };
        var applied = await ApplyAsync(request, approved: [chains.Full1.Id]); // the user said no to inc1
        var full1 = applied.Single(d => d.BackupId == chains.Full1.Id);
        Assert.False(full1.Deleted);
        Assert.Contains($"not deleted: {chains.Inc1.Id} builds on it", full1.Reasons);
        Assert.Equal(5, (await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository, Collection = "ret" })).Count);
    }

    [Fact]
    public async Task Pinned_and_tagged_backups_survive_with_their_chains_and_Get_Backup_shows_the_labels()
    {
        var chains = await ChainsAsync(_fx.Repository);
        var pinned = await _fx.Engine.SetBackupAsync(new SetBackupRequest(chains.Full1.Id) { Repository = _fx.Repository, Pinned = true });
        Assert.True(pinned.Pinned);
        await _fx.Engine.SetBackupAsync(new SetBackupRequest(chains.Inc2a.Id) { Repository = _fx.Repository, Collection = "ret", Tags = ["release-1.2", "audit"] });
        var listed = (await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository, Collection = "ret" })).ToDictionary(b => b.Id);
        Assert.True(listed[chains.Full1.Id].Pinned);
        Assert.Equal(["release-1.2", "audit"], listed[chains.Inc2a.Id].Tags);
        Assert.False(listed[chains.Inc1.Id].Pinned);
        Assert.Empty(listed[chains.Inc1.Id].Tags);
        var labels = await File.ReadAllTextAsync(Path.Combine(_fx.Repository, "collections", "ret", "backups", chains.Full1.Id, "labels.json"));
        Assert.Contains("\"format\": \"psbackup-labels\"", labels);
        Assert.Contains("\"pinned\": true", labels);

        var request = new RetentionRequest("ret") { Repository = _fx.Repository, Policy = new RetentionPolicy { KeepLast = 1, KeepTags = ["RELEASE-1.2"] } };
        var plan = (await _fx.Engine.PlanRetentionAsync(request)).ToDictionary(d => d.BackupId);
        Assert.Equal("pinned", plan[chains.Full1.Id].Reasons);
        Assert.True(plan[chains.Full1.Id].Pinned);
        Assert.Equal("tag release-1.2; parent of " + chains.Inc2b.Id, plan[chains.Inc2a.Id].Reasons);
        Assert.Equal(RetentionAction.Delete, plan[chains.Inc1.Id].Action);

        // Unpinned, full1 goes (its child inc1 was never needed by it).
        await _fx.Engine.SetBackupAsync(new SetBackupRequest(chains.Full1.Id) { Repository = _fx.Repository, Pinned = false });
        var applied = await ApplyAsync(request);
        Assert.Equal([chains.Inc1.Id, chains.Full1.Id], applied.Where(d => d.Deleted).Select(d => d.BackupId));

        Assert.Equal("InvalidTag", (await Assert.ThrowsAsync<InvalidBackupRequestException>(() =>
            _fx.Engine.SetBackupAsync(new SetBackupRequest(chains.Inc2b.Id) { Repository = _fx.Repository, Tags = ["bad tag;"] }))).ErrorId);
        await Assert.ThrowsAsync<BackupNotFoundException>(() =>
            _fx.Engine.SetBackupAsync(new SetBackupRequest(chains.Full1.Id) { Repository = _fx.Repository, Collection = "ret", Pinned = true }));
    }

    [Fact]
    public async Task A_policy_stored_on_the_collection_is_applied_and_can_be_changed_or_removed()
    {
        var tree = new TreeBuilder(_fx.Temp.Combine("src")).File("a", "a");
        var info = await _fx.Engine.NewCollectionAsync(new NewCollectionRequest("stored", [EngineFixture.Tree("src", tree.Root)])
            { Repository = _fx.Repository, RetentionPolicy = new RetentionPolicy { KeepDaily = 30, KeepWeekly = 12, TimeZone = "Europe/Berlin" } });
        Assert.Equal("KeepDaily=30; KeepWeekly=12; TimeZone=Europe/Berlin", info.RetentionPolicy?.ToString());
        var definition = Path.Combine(_fx.Repository, "collections", "stored", "collection.json");
        Assert.Contains("\"keepDaily\": 30", await File.ReadAllTextAsync(definition));

        // A field of a newer minor version survives Set-BackupCollection's rewrite.
        // (A newer writer seals what it writes: the digest is recomputed as it would.)
        Tamper.EditText(definition, text => text.Replace("\"name\": \"stored\",", "\"name\": \"stored\",\n  \"futureSetting\": { \"x\": 1 },"));
        var changed = await _fx.Engine.SetCollectionAsync(new SetCollectionRequest("stored")
            { Repository = _fx.Repository, RetentionPolicy = new RetentionPolicy { KeepLast = 2 }, Compression = CompressionKind.Gzip, IncrementalBackupEnabled = true });
        Assert.Equal("KeepLast=2", changed.RetentionPolicy?.ToString());
        Assert.Equal(CompressionKind.Gzip, changed.Compression);
        Assert.True(changed.IncrementalBackupEnabled);
        var rewritten = await File.ReadAllTextAsync(definition);
        Assert.Contains("futureSetting", rewritten);
        Assert.Contains("\"compression\": \"gzip\"", rewritten);
        Assert.Contains(info.Created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss"), rewritten);

        for (var i = 0; i < 3; i++) await _fx.BackupAsync("stored");
        var applied = await ApplyAsync(new RetentionRequest("stored") { Repository = _fx.Repository });
        Assert.Equal(1, applied.Count(d => d.Deleted));
        Assert.Equal(["last 1; newest full", "last 2"], applied.Where(d => !d.Deleted).Reverse().Select(d => d.Reasons));

        await _fx.Engine.SetCollectionAsync(new SetCollectionRequest("stored") { Repository = _fx.Repository, RemoveRetentionPolicy = true });
        Assert.Null((await _fx.Engine.GetCollectionsAsync(_fx.Repository, "stored"))[0].RetentionPolicy);
        var none = await Assert.ThrowsAsync<InvalidBackupRequestException>(() => _fx.Engine.PlanRetentionAsync(new RetentionRequest("stored") { Repository = _fx.Repository }));
        Assert.Equal("NoRetentionPolicy", none.ErrorId);

        // A stored policy with a rule this version does not know is refused before anything is deleted.
        Tamper.EditText(definition, text => text.Replace("\"name\": \"stored\",", "\"name\": \"stored\",\n  \"retention\": { \"keepLast\": 1, \"keepEveryFullMoon\": 5 },"));
        var refused = await Assert.ThrowsAsync<RepositoryFormatException>(() => ApplyAsync(new RetentionRequest("stored") { Repository = _fx.Repository }, approved: []));
        Assert.Contains("keepEveryFullMoon", refused.Message);
        Assert.Equal(2, (await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository, Collection = "stored" })).Count);
    }

    [Fact]
    public async Task Retention_is_a_writer_and_waits_for_no_one_a_held_lock_stops_it_before_deleting()
    {
        var chains = await ChainsAsync(_fx.Repository);
        await using (await CollectionLock.AcquireAsync(RepositoryLocation.OpenStore(_fx.Repository), "ret", "Invoke-Backup", TimeSpan.FromMinutes(2), default))
        {
            var error = await Assert.ThrowsAsync<LockConflictException>(() => ApplyAsync(new RetentionRequest("ret") { Repository = _fx.Repository, Policy = KeepLastOne }));
            Assert.Contains("Invoke-Backup", error.Message);
        }
        Assert.Equal(5, (await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository, Collection = "ret" })).Count);
        Assert.Equal(chains.Inc2b.Id, (await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository, Collection = "ret", Latest = true }))[0].Id);
    }

    /// <summary>A store whose deletes of anything but manifests fail, as a crash between the two steps of a deletion would leave it.</summary>
    private sealed class FailingDeleteStore(IObjectStore inner) : IObjectStore
    {
        public List<string> Deleted { get; } = [];
        public string Location => inner.Location;
        public Task<Stream> OpenReadAsync(string key, CancellationToken ct) => inner.OpenReadAsync(key, ct);
        public Task<ObjectWriteStream> OpenWriteAsync(string key, CancellationToken ct) => inner.OpenWriteAsync(key, ct);
        public Task<bool> TryCreateAsync(string key, ReadOnlyMemory<byte> content, CancellationToken ct) => inner.TryCreateAsync(key, content, ct);
        public Task<ObjectEntry?> StatAsync(string key, CancellationToken ct) => inner.StatAsync(key, ct);
        public IAsyncEnumerable<ObjectEntry> ListAsync(string prefix, CancellationToken ct) => inner.ListAsync(prefix, ct);
        public void Dispose() => inner.Dispose();

        public async Task DeleteAsync(string key, CancellationToken ct)
        {
            if (!key.EndsWith("/manifest.json", StringComparison.Ordinal)) throw new IOException("the machine died");
            await inner.DeleteAsync(key, ct);
            Deleted.Add(key);
        }
    }
}
