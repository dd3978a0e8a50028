using PsBackup.Engine.Operations;
using PsBackup.Engine.Repository;
using PsBackup.Engine.Storage;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Collections;

/// <summary>
/// A backup run reads its collection's history newest first and only as far as it needs: the
/// start of a run does not grow with the number of backups (every manifest was read before),
/// and the order it sees is exactly the one a full listing sorts.
/// </summary>
public sealed class BackupHistoryTests : IDisposable
{
    private readonly EngineFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    private async Task<List<string>> BackupsAsync(int count)
    {
        var tree = new TreeBuilder(_fx.Temp.Combine("src")).File("a.txt", "alpha");
        await _fx.NewCollectionAsync("c", targets: EngineFixture.Tree("files", tree.Root));
        var ids = new List<string>();
        // Small and local: several backups start in the same second, the case ids alone cannot order.
        for (var i = 0; i < count; i++)
            ids.Add((await _fx.BackupAsync("c", i % 3 == 2 ? BackupType.Incremental : BackupType.Full)).Id);
        return ids;
    }

    private async Task<(BackupHistory History, CountingStore Store, BackupRepository Repository)> OpenAsync()
    {
        var store = new CountingStore(new LocalObjectStore(_fx.Repository));
        var repository = await BackupRepository.OpenAsync(store, create: false, default);
        var folders = await repository.ScanBackupFoldersAsync("c", default);
        return (new BackupHistory(repository, "c", folders), store, repository);
    }

    private static int ManifestReads(CountingStore store) => store.Reads.Count(k => k.EndsWith("/manifest.json", StringComparison.Ordinal));

    [Fact]
    public async Task The_newest_backup_costs_one_manifest_read_whatever_the_history()
    {
        var ids = await BackupsAsync(40);
        var (history, store, repository) = await OpenAsync();
        using var _ = repository;

        var newest = await history.NewestAsync(default);

        Assert.Equal(ids[^1], newest?.Id);
        // The newest second's backups are read together (their ids cannot order them): at most that group.
        var sameSecond = ids.Count(id => id[..16] == ids[^1][..16]);
        Assert.InRange(ManifestReads(store), 1, sameSecond);
        Assert.True(ManifestReads(store) < 40);
        Assert.Null(history.DamagedNewerThan(newest));
    }

    [Fact]
    public async Task Newest_first_is_exactly_the_reverse_of_a_full_listing_and_reads_each_manifest_once()
    {
        var ids = await BackupsAsync(25);
        var (history, store, repository) = await OpenAsync();
        using var _ = repository;

        var lazily = new List<string>();
        await foreach (var manifest in history.NewestFirstAsync(default))
            lazily.Add(manifest.Id);
        var listed = (await repository.ScanCommittedAsync("c", withLabels: false, default)).Backups.Select(b => b.Manifest.Id).Reverse().ToList();

        Assert.Equal(listed, lazily);
        Assert.Equal(Enumerable.Reverse(ids), lazily); // the order they were taken in
        Assert.Equal(25 + 25, ManifestReads(store)); // once by the history (cached), once by the full listing
        Assert.Equal(ids[^1], (await history.FindAsync(ids[^1], default))?.Id);
        Assert.Equal(50, ManifestReads(store)); // found in the cache
        Assert.Null(await history.FindAsync("20000101T000000Z_full_00000000", default));
    }

    [Fact]
    public async Task A_damaged_newest_backup_is_skipped_and_reported_as_newer_than_the_trusted_one()
    {
        var ids = await BackupsAsync(6);
        var hostile = Path.Combine(_fx.Repository, "collections", "c", "backups", ids[^1], "manifest.json");
        Tamper.Edit(hostile, m => m["Host"] = "elsewhere", reseal: false);
        var (history, _, repository) = await OpenAsync();
        using var __ = repository;

        var newest = await history.NewestAsync(default);

        Assert.Equal(ids[^2], newest?.Id);
        var damaged = history.DamagedNewerThan(newest);
        Assert.NotNull(damaged);
        Assert.Equal("DocumentCorrupt", damaged!.ErrorId);
        await Assert.ThrowsAsync<Errors.DocumentCorruptException>(() => history.FindAsync(ids[^1], default));
        // Through the engine: an incremental refuses to build past it, a full backup goes on.
        Assert.Equal("DocumentCorrupt", (await Assert.ThrowsAnyAsync<Errors.PsBackupException>(() => _fx.BackupAsync("c", BackupType.Incremental))).ErrorId);
        Assert.Equal(BackupStatus.Complete, (await _fx.BackupAsync("c")).Status);
    }

    [Fact]
    public async Task Get_Backup_Latest_and_Id_read_lazily_but_answer_exactly_as_the_full_listing()
    {
        var ids = await BackupsAsync(9);
        await _fx.Engine.SetBackupAsync(new SetBackupRequest(ids[^1]) { Repository = _fx.Repository, Pinned = true });
        var folder = Path.Combine(_fx.Repository, "collections", "c", "backups");
        Tamper.Edit(Path.Combine(folder, ids[4], "manifest.json"), m => m["Host"] = "elsewhere", reseal: false);

        Task<List<BackupInfo>> Query(BackupQuery query) => _fx.Engine.GetBackupsAsync(query with { Repository = _fx.Repository, Collection = "c" });
        static string Shown(BackupInfo b)
        {
            var shown = Newtonsoft.Json.Linq.JObject.FromObject(b);
            shown.Remove("Age"); // measured from each query's own "now"
            return shown.ToString();
        }
        async Task AgreeAsync(string why)
        {
            var all = await Query(new BackupQuery());
            foreach (var type in new BackupType?[] { null, BackupType.Full, BackupType.Incremental })
            {
                var expected = all.Where(b => type == null || b.Type == type).ToList();
                var latest = await Query(new BackupQuery { Latest = true, Type = type });
                Assert.True(expected.Count == 0 ? latest.Count == 0 : Shown(expected[^1]) == Shown(Assert.Single(latest)), $"{why}, -Latest -Type {type}");
            }
            foreach (var backup in all)
                Assert.True(Shown(backup) == Shown(Assert.Single(await Query(new BackupQuery { Id = backup.Id }))), $"{why}, -Id {backup.Id}");
            Assert.Empty(await Query(new BackupQuery { Id = "20000101T000000Z_full_00000000" }));
        }

        await AgreeAsync("pinned newest");
        Assert.True((await Query(new BackupQuery { Latest = true }))[0].Pinned);
        Tamper.Edit(Path.Combine(folder, ids[^1], "labels.json"), l => l["pinned"] = false, reseal: false);
        await AgreeAsync("newest with damaged labels");
        Assert.Equal(BackupStatus.Corrupt, (await Query(new BackupQuery { Latest = true }))[0].Status);
        Tamper.Edit(Path.Combine(folder, ids[^1], "manifest.json"), m => m["Host"] = "elsewhere", reseal: false);
        await AgreeAsync("newest with a damaged manifest");
        // Unreadable, it is placed at the second its id names (a backup of the same second may sort after it).
        Assert.Equal(BackupStatus.Corrupt, Assert.Single(await Query(new BackupQuery { Id = ids[^1] })).Status);
    }
}
