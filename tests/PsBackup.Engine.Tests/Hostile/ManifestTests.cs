using System.Diagnostics;
using Newtonsoft.Json.Linq;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Operations;

namespace PsBackup.Engine.Tests.Hostile;

/// <summary>
/// Issue 20, items 2, 5 and 6: a committed manifest is complete by construction and checked on
/// read; an edited one is detected (its digest, or — resealed — its content); chains are checked
/// at once; Test-Backup and Restore-Backup verify through one path and agree.
/// </summary>
public sealed class ManifestTests : IDisposable
{
    private readonly HostileRepository _repo = new();

    public void Dispose() => _repo.Dispose();

    public static TheoryData<string, bool> Edits()
    {
        var data = new TheoryData<string, bool>();
        foreach (var edit in new[]
                 {
                     "targets null", "targets empty", "artifacts empty", "index dropped", "stored size negative", "type unknown", "type number",
                     "id of another backup", "start time missing", "full with a parent", "artifact path up", "artifact path absolute",
                     "sha256 not hex", "target name up", "target twice", "stored sha256 missing",
                 })
        {
            data.Add(edit, true);
            data.Add(edit, false);
        }
        return data;
    }

    private static void Apply(string edit, JObject m)
    {
        var target = (JObject)m["targets"]![0]!;
        var artifacts = (JArray)target["artifacts"]!;
        switch (edit)
        {
            case "targets null": m["targets"] = null; break;
            case "targets empty": m["targets"] = new JArray(); break;
            case "artifacts empty": target["artifacts"] = new JArray(); break;
            case "index dropped": artifacts.Where(a => (string?)a["name"] == "index").ToList().ForEach(a => a.Remove()); break;
            case "stored size negative": artifacts[0]["storedSize"] = -1; break;
            case "type unknown": m["type"] = "differential"; break;
            case "type number": m["type"] = 7; break;
            case "id of another backup": m["id"] = "20200101T000000Z_full_00000000"; break;
            case "start time missing": m.Remove("startTime"); break;
            case "full with a parent": m["parent"] = "20200101T000000Z_full_00000000"; break;
            case "artifact path up": artifacts[0]["path"] = "../../../../etc/hostname"; break;
            case "artifact path absolute": artifacts[0]["path"] = "/etc/hostname"; break;
            case "sha256 not hex": artifacts[0]["sha256"] = "../../etc"; break;
            case "target name up": target["name"] = "../../../x"; break;
            case "target twice": ((JArray)m["targets"]!).Add(target.DeepClone()); break;
            case "stored sha256 missing": ((JObject)artifacts[0]).Remove("storedSha256"); break;
            default: throw new ArgumentException(edit);
        }
    }

    [Theory]
    [MemberData(nameof(Edits))]
    public async Task An_empty_or_edited_manifest_never_passes(string edit, bool resealed)
    {
        var backup = await _repo.BackupAsync();
        Support.Tamper.Edit(_repo.Manifest(backup.Id), m => Apply(edit, m), resealed);

        // Listed, as Corrupt: `Get-Backup | Test-Backup` reaches it.
        var listed = Assert.Single(await _repo.ListAsync());
        Assert.Equal((backup.Id, BackupStatus.Corrupt), (listed.Id, listed.Status));
        // Test-Backup: one Corrupt finding for the manifest, no exception.
        var finding = Assert.Single(await _repo.VerifyAsync(backup.Id));
        Assert.Equal((VerificationStatus.Corrupt, "manifest.json"), (finding.Status, finding.Artifact));
        Assert.Contains(resealed ? "is not valid" : "digest does not match", finding.Message);
        // Restore, an incremental on top and retention refuse it; nothing is written.
        var destination = _repo.Fx.Temp.Combine("r");
        Assert.Equal("DocumentCorrupt", (await HostileRepository.ErrorOf(() => _repo.RestoreAsync(backup.Id, destination))).ErrorId);
        Assert.False(Directory.Exists(destination));
        Assert.Equal("DocumentCorrupt", (await HostileRepository.ErrorOf(() => _repo.BackupAsync(BackupType.Incremental))).ErrorId);
        Assert.Equal("DocumentCorrupt", (await HostileRepository.ErrorOf(_repo.PlanRetentionAsync)).ErrorId);
        // A full backup still works: a damaged old backup does not stop new ones.
        var next = await _repo.BackupAsync();
        Assert.All(await _repo.VerifyAsync(next.Id), f => Assert.Equal(VerificationStatus.Ok, f.Status));
    }

    [Fact]
    public async Task Damaged_labels_are_listed_as_Corrupt_and_stop_retention()
    {
        var backup = await _repo.BackupAsync();
        await _repo.Engine.SetBackupAsync(new SetBackupRequest(backup.Id) { Repository = _repo.Repository, Pinned = true });
        var labels = Path.Combine(_repo.Folder(backup.Id), "labels.json");
        Support.Tamper.Edit(labels, l => l["pinned"] = false, reseal: false); // unpinning by hand, so retention would delete it

        Assert.Equal(BackupStatus.Corrupt, Assert.Single(await _repo.ListAsync()).Status);
        Assert.Equal("DocumentCorrupt", (await HostileRepository.ErrorOf(_repo.PlanRetentionAsync)).ErrorId);
        var findings = await _repo.VerifyAsync(backup.Id);
        Assert.Equal("labels.json", Assert.Single(findings, f => f.Status != VerificationStatus.Ok).Artifact);
        Assert.Null((await _repo.RestoreAsync(backup.Id)).Error); // the backup itself is intact
    }

    [Fact]
    public async Task Edited_config_collection_and_lock_documents_are_detected()
    {
        await _repo.BackupAsync();
        Support.Tamper.Edit(_repo.CollectionJson, c => c["compression"] = "none", reseal: false);
        Assert.Equal("DocumentCorrupt", (await HostileRepository.ErrorOf(() => _repo.BackupAsync())).ErrorId);
        Assert.Equal("DocumentCorrupt", (await HostileRepository.ErrorOf(() => _repo.Engine.GetCollectionsAsync(_repo.Repository, "c"))).ErrorId);
        Support.Tamper.Edit(_repo.CollectionJson, _ => { }); // resealed: accepted again (an admin's deliberate edit)
        await _repo.BackupAsync();

        var lockPath = Path.Combine(_repo.Repository, "collections", "c", "lock.json");
        await using (await Repository.CollectionLock.AcquireAsync(RepositoryLocation.OpenStore(_repo.Repository), "c", "test", TimeSpan.FromMinutes(2), default))
        {
            Support.Tamper.Edit(lockPath, l => l["expires"] = "2000-01-01T00:00:00+00:00", reseal: false); // "expired": would be broken and taken over
            var locked = await HostileRepository.ErrorOf(() => _repo.BackupAsync());
            Assert.Equal("CollectionLocked", locked.ErrorId);
            Assert.Contains("damaged lock", locked.Message);
            File.Delete(lockPath);
        }

        var config = Path.Combine(_repo.Repository, "config.json");
        Support.Tamper.Edit(config, c => c["id"] = new string('0', 32), reseal: false);
        Assert.Equal("DocumentCorrupt", (await HostileRepository.ErrorOf(_repo.ListAsync)).ErrorId);
        Support.Tamper.Edit(config, c => c["id"] = "not hex");
        Assert.Equal("DocumentCorrupt", (await HostileRepository.ErrorOf(_repo.ListAsync)).ErrorId);
    }

    [Fact]
    public async Task An_edited_WAL_entry_is_not_trusted()
    {
        // Archiving needs a collection with a point-in-time target; no server is contacted.
        await _repo.Fx.NewCollectionAsync("pitr", targets: new PostgreSqlClusterTarget { Name = "pg", Host = "127.0.0.1" });
        var history = _repo.Fx.Temp.Combine("00000002.history");
        await File.WriteAllTextAsync(history, "1\t0/3000000\tno recovery target specified\n");
        var request = new ArchiveLogRequest("pitr", history, "00000002.history") { Repository = _repo.Repository };
        Assert.True((await _repo.Engine.ArchiveLogAsync(request)).Stored);
        Assert.False((await _repo.Engine.ArchiveLogAsync(request)).Stored); // the same file again: already archived
        var entry = Path.Combine(_repo.Repository, "collections", "pitr", "wal", "00000002", "00000002.history.json");
        Assert.Equal(2, (int)Support.Tamper.Read(entry)["version"]!);

        Support.Tamper.Edit(entry, e => e["sha256"] = new string('a', 64), reseal: false);
        Assert.Equal("DocumentCorrupt", (await HostileRepository.ErrorOf(() => _repo.Engine.ArchiveLogAsync(request))).ErrorId);
        Support.Tamper.Edit(entry, e => e["path"] = "../../../../config.json");
        Assert.Equal("DocumentCorrupt", (await HostileRepository.ErrorOf(() => _repo.Engine.ArchiveLogAsync(request))).ErrorId);
    }

    [Fact]
    public async Task A_manifest_whose_parent_is_itself_is_refused_at_once()
    {
        await _repo.BackupAsync();
        var incremental = await _repo.ChangeAndBackupAsync(BackupType.Incremental);
        Support.Tamper.Edit(_repo.Manifest(incremental.Id), m => m["parent"] = incremental.Id);
        var clock = Stopwatch.StartNew();

        var finding = Assert.Single(await _repo.VerifyAsync(incremental.Id));
        Assert.Equal(VerificationStatus.Corrupt, finding.Status);
        Assert.Contains("names itself as its parent", finding.Message);
        Assert.Equal("DocumentCorrupt", (await HostileRepository.ErrorOf(() => _repo.RestoreAsync(incremental.Id))).ErrorId);
        Assert.Equal("DocumentCorrupt", (await HostileRepository.ErrorOf(() => _repo.BackupAsync(BackupType.Incremental))).ErrorId);
        Assert.Equal("DocumentCorrupt", (await HostileRepository.ErrorOf(_repo.PlanRetentionAsync)).ErrorId);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_loop_of_parents_is_refused_at_once_everywhere()
    {
        await _repo.BackupAsync();
        var first = await _repo.ChangeAndBackupAsync(BackupType.Incremental);
        // A second manifest of the same second that points back at the first: first -> second -> first.
        var secondId = first.Id[..^8] + (first.Id[^8..] == "00000000" ? "00000001" : "00000000");
        CopyDirectory(_repo.Folder(first.Id), _repo.Folder(secondId));
        Support.Tamper.Edit(_repo.Manifest(secondId), m => { m["id"] = secondId; m["parent"] = first.Id; });
        Support.Tamper.Edit(_repo.Manifest(first.Id), m => m["parent"] = secondId);
        var clock = Stopwatch.StartNew();

        foreach (var id in new[] { first.Id, secondId })
        {
            var finding = Assert.Single(await _repo.VerifyAsync(id));
            Assert.Equal(VerificationStatus.Corrupt, finding.Status);
            Assert.Contains("loops", finding.Message);
            Assert.Equal("ChainBroken", (await HostileRepository.ErrorOf(() => _repo.RestoreAsync(id))).ErrorId);
        }
        Assert.Equal("ChainBroken", (await HostileRepository.ErrorOf(() => _repo.BackupAsync(BackupType.Incremental))).ErrorId);
        Assert.Equal("ChainBroken", (await HostileRepository.ErrorOf(_repo.PlanRetentionAsync)).ErrorId);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_missing_parent_is_named_at_once()
    {
        var full = await _repo.BackupAsync();
        var incremental = await _repo.ChangeAndBackupAsync(BackupType.Incremental);
        Directory.Delete(_repo.Folder(full.Id), recursive: true);

        var finding = Assert.Single(await _repo.VerifyAsync(incremental.Id));
        Assert.Equal((VerificationStatus.Missing, full.Id), (finding.Status, finding.ArtifactBackupId));
        var error = await HostileRepository.ErrorOf(() => _repo.RestoreAsync(incremental.Id));
        Assert.Equal("ChainBroken", error.ErrorId);
        Assert.Contains($"parent backup '{full.Id}'", error.Message);
        Assert.Equal("ChainBroken", (await HostileRepository.ErrorOf(() => _repo.BackupAsync(BackupType.Incremental))).ErrorId);
        // Retention still runs and reports it (it can only delete less).
        Assert.Contains(await _repo.PlanRetentionAsync(), d => d.Reasons.Contains($"chain broken: {full.Id} is missing"));
    }

    [Fact]
    public async Task Test_Backup_and_Restore_Backup_agree_on_a_stored_object_of_the_wrong_size()
    {
        var backup = await _repo.BackupAsync();
        var pack = Directory.EnumerateFiles(_repo.Folder(backup.Id), "pack-0*", SearchOption.AllDirectories).Single();
        await File.AppendAllTextAsync(pack, "x"); // decodes to the same plaintext: gzip ignores… nothing, PsBackup must not either

        var finding = Assert.Single(await _repo.VerifyAsync(backup.Id), f => f.Status != VerificationStatus.Ok);
        Assert.Equal(VerificationStatus.Corrupt, finding.Status);
        var restore = await _repo.RestoreAsync(backup.Id);
        Assert.Equal("ArtifactCorrupt", restore.Error?.ErrorId);
        Assert.Equal(finding.Message, restore.Error!.Message);

        // The manifest resealed to say one byte more: the same, both ways.
        await File.WriteAllBytesAsync(pack, (await File.ReadAllBytesAsync(pack))[..^1]);
        Support.Tamper.Edit(_repo.Manifest(backup.Id), m => m["targets"]![0]!["artifacts"]![0]!["storedSize"] = (long)m["targets"]![0]!["artifacts"]![0]!["storedSize"]! + 1);
        finding = Assert.Single(await _repo.VerifyAsync(backup.Id), f => f.Status != VerificationStatus.Ok);
        restore = await _repo.RestoreAsync(backup.Id);
        Assert.Equal((VerificationStatus.Corrupt, "ArtifactCorrupt"), (finding.Status, restore.Error?.ErrorId));
        Assert.Equal(finding.Message, restore.Error!.Message);
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
