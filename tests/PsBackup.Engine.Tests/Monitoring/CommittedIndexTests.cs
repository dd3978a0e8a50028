using System.Globalization;
using PsBackup.Engine.Metrics;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Repository;
using PsBackup.Engine.Storage;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Monitoring;

/// <summary>
/// collections/&lt;c&gt;/committed.json, the hint that spares Export-BackupMetrics one manifest check per
/// backup folder on a disk: written at commit and before a retention delete; whatever is done to it
/// (missing, truncated, edited, of a newer version, of another collection, naming a folder without a
/// manifest), the metrics count exactly the folders holding a manifest; on S3 the count comes from
/// the listing.
/// </summary>
public sealed class CommittedIndexTests : IDisposable
{
    private readonly EngineFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    private string IndexPath(string collection) => Path.Combine(_fx.Repository, "collections", collection, "committed.json");

    private string BackupsPath(string collection) => Path.Combine(_fx.Repository, "collections", collection, "backups");

    private async Task<List<BackupInfo>> ThreeBackupsAsync(string collection, BackupType then = BackupType.Incremental)
    {
        var tree = new TreeBuilder(_fx.Temp.Combine("src-" + collection)).File("a.txt", "alpha");
        await _fx.NewCollectionAsync(collection, targets: EngineFixture.Tree("files", tree.Root));
        var backups = new List<BackupInfo> { await _fx.BackupAsync(collection) };
        tree.File("b.txt", "beta");
        backups.Add(await _fx.BackupAsync(collection, then));
        tree.File("c.txt", "gamma");
        backups.Add(await _fx.BackupAsync(collection, then));
        return backups;
    }

    /// <summary>A folder that looks like a backup being written: an artifact, no manifest.</summary>
    private string UncommittedFolder(string collection, string id)
    {
        var folder = Path.Combine(BackupsPath(collection), id);
        Directory.CreateDirectory(Path.Combine(folder, "files"));
        File.WriteAllText(Path.Combine(folder, "files", "pack-0.zst"), "partial");
        return id;
    }

    private static async Task<double> BackupsMetricAsync(BackupEngine engine, RepositoryAddress repository, string collection)
    {
        var text = await engine.ExportMetricsAsync(new MetricsRequest { Repository = repository });
        double Value(string metric)
        {
            var line = Assert.Single(text.Split('\n'), l => l.StartsWith($"{metric}{{collection=\"{collection}\",", StringComparison.Ordinal));
            return double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
        }
        Assert.Equal(1, Value("psbackup_collection_up"));
        return Value("psbackup_backups");
    }

    private Task<double> CountAsync(string collection) => BackupsMetricAsync(_fx.Engine, _fx.Repository, collection);

    private async Task<List<string>> IndexedAsync(string collection)
    {
        using var repository = await BackupRepository.OpenAsync(new LocalObjectStore(_fx.Repository), create: false, default);
        return [.. Assert.IsType<HashSet<string>>(await CommittedIndex.TryReadAsync(repository, collection, default)).Order(StringComparer.Ordinal)];
    }

    [Fact]
    public async Task Every_commit_adds_its_backup_and_retention_takes_it_out_before_deleting_it()
    {
        var backups = await ThreeBackupsAsync("app", BackupType.Full);
        Assert.Equal(backups.Select(b => b.Id).Order(StringComparer.Ordinal), await IndexedAsync("app"));
        Assert.Equal(3, await CountAsync("app"));

        var request = new RetentionRequest("app") { Repository = _fx.Repository, Policy = new RetentionPolicy { KeepLast = 1 } };
        var plan = await _fx.Engine.PlanRetentionAsync(request);
        var deleted = plan.Where(d => d.Action == RetentionAction.Delete).Select(d => d.BackupId).ToHashSet();
        Assert.NotEmpty(deleted);
        await foreach (var _ in _fx.Engine.ApplyRetentionAsync(request, deleted)) { }
        var left = Directory.EnumerateDirectories(BackupsPath("app")).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(3 - deleted.Count, left.Count);
        Assert.Equal(left, await IndexedAsync("app"));
        Assert.Equal(left.Count, await CountAsync("app"));
    }

    [Fact]
    public async Task Without_an_index_or_with_one_missing_a_commit_every_committed_backup_counts_and_the_next_commit_rebuilds_it()
    {
        var backups = await ThreeBackupsAsync("app");
        File.Delete(IndexPath("app")); // a repository written before the index, or a commit cut off before its index update
        Assert.Equal(3, await CountAsync("app"));

        await _fx.BackupAsync("app", BackupType.Incremental);
        var indexed = await IndexedAsync("app");
        Assert.Equal(4, indexed.Count);
        Assert.Subset(indexed.ToHashSet(), backups.Select(b => b.Id).ToHashSet());

        // A backup committed by a writer that does not know the index: counted all the same.
        var index = await File.ReadAllBytesAsync(IndexPath("app"));
        var fifth = await _fx.BackupAsync("app", BackupType.Incremental);
        await File.WriteAllBytesAsync(IndexPath("app"), index);
        Assert.DoesNotContain(fifth.Id, await IndexedAsync("app"));
        Assert.Equal(5, await CountAsync("app"));

        // An entry whose folder is gone is ignored; the next commit drops it.
        var gone = backups[2].Id;
        Directory.Move(Path.Combine(BackupsPath("app"), gone), Path.Combine(_fx.Temp.Combine("elsewhere")));
        Assert.Equal(4, await CountAsync("app"));
        await _fx.BackupAsync("app");
        Assert.DoesNotContain(gone, await IndexedAsync("app"));
        Assert.Equal(5, await CountAsync("app"));
    }

    [Fact]
    public async Task A_damaged_edited_newer_or_foreign_index_never_makes_an_uncommitted_folder_count_and_never_fails_the_export()
    {
        var backups = await ThreeBackupsAsync("app");
        await ThreeBackupsAsync("other");
        var uncommitted = UncommittedFolder("app", "20990101T000000Z_incremental_0badf00d");
        var original = await File.ReadAllTextAsync(IndexPath("app"));
        Assert.Contains(backups[0].Id, original);

        var variants = new Dictionary<string, string>
        {
            // Edited by hand: the uncommitted folder added, the digest left as it was.
            ["edited"] = original.Replace($"\"{backups[0].Id}\"", $"\"{backups[0].Id}\", \"{uncommitted}\""),
            ["truncated"] = original[..(original.Length / 2)],
            ["empty"] = "",
            ["not json"] = "\u0000\u0001garbage",
            ["newer version"] = original.Replace("\"version\": 1", "\"version\": 99").Replace($"\"{backups[0].Id}\"", $"\"{backups[0].Id}\", \"{uncommitted}\""),
            ["no backups member"] = "{\"format\": \"psbackup-committed\", \"version\": 1}",
        };
        foreach (var (what, text) in variants)
        {
            await File.WriteAllTextAsync(IndexPath("app"), text);
            Assert.True(3 == await CountAsync("app"), what);
        }

        // Another collection's index, sealed and valid, naming its own backups and the uncommitted folder.
        var foreign = (await File.ReadAllTextAsync(IndexPath("other")));
        await File.WriteAllTextAsync(IndexPath("app"), foreign);
        Assert.Equal(3, await CountAsync("app"));
        Assert.Equal(3, await CountAsync("other"));

        // A backup whose manifest went (a writer older than the index interrupted mid-deletion) is not
        // in any index this version writes: retention takes the entry out before the manifest goes.
        await File.WriteAllTextAsync(IndexPath("app"), original);
        File.Delete(Path.Combine(BackupsPath("app"), backups[0].Id, "manifest.json"));
        Assert.Equal(3, await CountAsync("app")); // the documented limit: the stale entry still counts it …
        await _fx.BackupAsync("app"); // … until the next backup of this version (it removes unfinished folders and rebuilds the index)
        Assert.DoesNotContain(backups[0].Id, await IndexedAsync("app"));
        Assert.Equal(3, await CountAsync("app"));
    }

    [Fact]
    public async Task On_S3_the_count_comes_from_the_listing_and_the_index_is_written_there_too()
    {
        var location = await S3Repository.NewAsync();
        var engine = _fx.Engine;
        var tree = new TreeBuilder(_fx.Temp.Combine("src")).File("a.txt", "alpha");
        await engine.NewCollectionAsync(new NewCollectionRequest("s3app", [EngineFixture.Tree("files", tree.Root)]) { Repository = location, IncrementalBackupEnabled = true });
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            tree.File($"f{i}.txt", $"file {i}");
            var result = await engine.InvokeBackupAsync(new BackupRequest("s3app") { Repository = location, Type = i == 0 ? BackupType.Full : BackupType.Incremental });
            Assert.Empty(result.Failures);
            ids.Add(result.Backup.Id);
        }
        Assert.Equal(3, await BackupsMetricAsync(engine, location, "s3app"));
        // The run journal's names listing on S3 (derived from the objects' listing): three succeeded backups.
        var text = await engine.ExportMetricsAsync(new MetricsRequest { Repository = location });
        Assert.Single(text.Split('\n'), l => l.StartsWith("psbackup_runs_total{collection=\"s3app\",", StringComparison.Ordinal)
                                             && l.EndsWith(",operation=\"backup\",outcome=\"succeeded\"} 3", StringComparison.Ordinal));

        using var repository = await BackupRepository.OpenAsync(RepositoryLocation.OpenStore(location), create: false, default);
        Assert.Equal(ids.Order(StringComparer.Ordinal), (await CommittedIndex.TryReadAsync(repository, "s3app", default))!.Order(StringComparer.Ordinal));
        Assert.Null(await repository.Store.ListFolderNamesAsync(RepositoryKeys.Backups("s3app"), default)); // so the listing, not the index, counts

        // An uncommitted backup (objects, no manifest) named by an edited index does not count; the oldest
        // backup's manifest gone (no folders on S3: its other objects stay) makes it not count either.
        await ObjectStoreExtensions.PutAsync(repository.Store, RepositoryKeys.Artifact("s3app", "20990101T000000Z_incremental_0badf00d", "files/pack-0.zst"), "partial"u8.ToArray(), default);
        await repository.Store.DeleteAsync(RepositoryKeys.Manifest("s3app", ids[0]), default);
        Assert.Equal(2, await BackupsMetricAsync(engine, location, "s3app"));
    }
}
