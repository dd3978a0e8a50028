using Newtonsoft.Json.Linq;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Files;

/// <summary>Bad input gets a clear, typed error and nothing is lost or written where it should not be.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly EngineFixture _fx = new();
    private readonly TreeBuilder _tree;

    public BadInputTests()
    {
        _tree = new TreeBuilder(_fx.Temp.Combine("src"))
            .File("a.txt", "alpha").RandomFile("big.bin", 2_000_000, 7).File("sub/c.txt", "c").TouchDirectories();
    }

    public void Dispose() => _fx.Dispose();

    private Task CreateAsync(string name = "c", string passphrase = "", bool incremental = true, CompressionKind compression = CompressionKind.Gzip) =>
        _fx.NewCollectionAsync(name, passphrase, incremental, compression, EngineFixture.Tree("src", _tree.Root));

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items) list.Add(item);
        return list;
    }

    [Fact]
    public async Task Encrypted_collection_needs_the_right_passphrase_and_hides_plaintext()
    {
        await CreateAsync(passphrase: "s3cret passphrase");
        var backup = await _fx.BackupAsync("c", passphrase: "s3cret passphrase");

        var wrong = await Assert.ThrowsAsync<WrongPassphraseException>(() =>
            _fx.Engine.InvokeBackupAsync(new BackupRequest("c") { Repository = _fx.Repository, Passphrase = "guess" }));
        Assert.Contains("does not unlock collection 'c'", wrong.Message);
        await Assert.ThrowsAsync<WrongPassphraseException>(() => _fx.RestoreAsync(backup.Id, _fx.Temp.Combine("r1"), passphrase: "guess"));
        await Assert.ThrowsAsync<PassphraseRequiredException>(() => _fx.RestoreAsync(backup.Id, _fx.Temp.Combine("r2")));
        Assert.False(Directory.Exists(_fx.Temp.Combine("r1")));
        Assert.Single(await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository })); // failed attempts committed nothing

        // No plaintext of the files, nor the file names of the index, reaches the repository.
        foreach (var file in Directory.EnumerateFiles(_fx.Repository, "*.aes", SearchOption.AllDirectories))
        {
            var bytes = await File.ReadAllBytesAsync(file);
            Assert.Equal("PSBKAES1"u8.ToArray(), bytes[..8]);
            Assert.DoesNotContain("sub/c.txt", System.Text.Encoding.Latin1.GetString(bytes));
        }
        var outcome = Assert.Single(await _fx.RestoreAsync(backup.Id, _fx.Temp.Combine("ok"), passphrase: "s3cret passphrase"));
        Assert.Null(outcome.Error);
        Assert.Equal("alpha", File.ReadAllText(_fx.Temp.Combine("ok", "a.txt")));
    }

    [Theory]
    [InlineData("pack-0")]
    [InlineData("index")]
    public async Task A_flipped_byte_is_reported_by_verify_and_refused_by_restore(string artifact)
    {
        await CreateAsync(compression: CompressionKind.None);
        var backup = await _fx.BackupAsync("c");
        var path = Directory.EnumerateFiles(_fx.Repository, artifact, SearchOption.AllDirectories).Single();
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[bytes.Length / 2] ^= 0x01;
        await File.WriteAllBytesAsync(path, bytes);

        var findings = await _fx.VerifyAsync(backup.Id);
        var bad = Assert.Single(findings, f => f.Status != VerificationStatus.Ok);
        Assert.Equal(VerificationStatus.Corrupt, bad.Status);
        Assert.EndsWith(artifact, bad.Artifact);
        Assert.Contains("SHA-256", bad.Message);

        var destination = _fx.Temp.Combine("restore");
        var outcome = Assert.Single(await _fx.RestoreAsync(backup.Id, destination));
        Assert.IsType<IntegrityException>(outcome.Error);
        Assert.Empty(Directory.Exists(destination) ? Directory.EnumerateFileSystemEntries(destination) : []);
    }

    [Fact]
    public async Task A_corrupt_backup_forced_over_an_existing_destination_changes_nothing()
    {
        await CreateAsync(compression: CompressionKind.None);
        var backup = await _fx.BackupAsync("c");
        var pack = Directory.EnumerateFiles(_fx.Repository, "pack-0", SearchOption.AllDirectories).Single();
        var bytes = await File.ReadAllBytesAsync(pack);
        bytes[^10] ^= 0xFF; // the last file's bytes: everything before it verifies
        await File.WriteAllBytesAsync(pack, bytes);
        var destination = _fx.Temp.Combine("existing");
        Directory.CreateDirectory(destination);
        File.WriteAllText(Path.Combine(destination, "a.txt"), "mine");
        var before = TreeSnapshot.Take(destination);

        var outcome = Assert.Single(await _fx.RestoreAsync(backup.Id, destination, force: true));
        Assert.IsType<IntegrityException>(outcome.Error);
        TreeSnapshot.AssertEqual(before, TreeSnapshot.Take(destination)); // no staging folder left, nothing replaced
    }

    [Theory]
    [InlineData("", CompressionKind.Gzip)]
    [InlineData("pass", CompressionKind.None)]
    public async Task A_tampered_or_truncated_compressed_or_encrypted_artifact_is_corrupt(string passphrase, CompressionKind compression)
    {
        await _fx.NewCollectionAsync("c", passphrase, compression: compression, targets: EngineFixture.Tree("src", _tree.Root));
        var pass = passphrase.Length == 0 ? null : passphrase;
        var backup = await _fx.BackupAsync("c", passphrase: pass);
        var pack = Directory.EnumerateFiles(_fx.Repository, "pack*", SearchOption.AllDirectories).Single();
        var bytes = await File.ReadAllBytesAsync(pack);
        await File.WriteAllBytesAsync(pack, bytes[..(bytes.Length - 100)]); // truncated: also a different stored size

        var finding = Assert.Single(await _fx.VerifyAsync(backup.Id, pass), f => f.Artifact.StartsWith("src/pack"));
        Assert.Equal(VerificationStatus.Corrupt, finding.Status);

        bytes[40] ^= 0x80; // same size, tampered
        await File.WriteAllBytesAsync(pack, bytes);
        finding = Assert.Single(await _fx.VerifyAsync(backup.Id, pass), f => f.Artifact.StartsWith("src/pack"));
        Assert.Equal(VerificationStatus.Corrupt, finding.Status);
        var outcome = Assert.Single(await _fx.RestoreAsync(backup.Id, _fx.Temp.Combine("r"), passphrase: pass));
        Assert.IsType<IntegrityException>(outcome.Error);
    }

    [Fact]
    public async Task A_missing_artifact_is_reported_as_missing()
    {
        await CreateAsync();
        var backup = await _fx.BackupAsync("c");
        File.Delete(Directory.EnumerateFiles(_fx.Repository, "index*", SearchOption.AllDirectories).Single());
        var finding = Assert.Single(await _fx.VerifyAsync(backup.Id), f => f.Status != VerificationStatus.Ok);
        Assert.Equal(VerificationStatus.Missing, finding.Status);
        Assert.IsType<ArtifactMissingException>(Assert.Single(await _fx.RestoreAsync(backup.Id, _fx.Temp.Combine("r"))).Error);
    }

    [Fact]
    public async Task Incremental_needs_a_full_backup_and_an_enabled_collection()
    {
        await CreateAsync("inc");
        var none = await Assert.ThrowsAsync<InvalidBackupRequestException>(() => _fx.BackupAsync("inc", BackupType.Incremental));
        Assert.Equal("NoFullBackup", none.ErrorId);

        await CreateAsync("fullonly", incremental: false);
        await _fx.BackupAsync("fullonly");
        var disabled = await Assert.ThrowsAsync<InvalidBackupRequestException>(() => _fx.BackupAsync("fullonly", BackupType.Incremental));
        Assert.Equal("IncrementalNotEnabled", disabled.ErrorId);
        Assert.Single(await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository }));
    }

    [Fact]
    public async Task An_empty_passphrase_is_refused_instead_of_silently_not_encrypting()
    {
        var error = await Assert.ThrowsAsync<InvalidBackupRequestException>(() =>
            _fx.Engine.NewCollectionAsync(new NewCollectionRequest("empty", [EngineFixture.Tree("src", _tree.Root)]) { Repository = _fx.Repository, Passphrase = "" }));
        Assert.Equal("EmptyPassphrase", error.ErrorId);
        Assert.False(Directory.Exists(Path.Combine(_fx.Repository, "collections", "empty")));
    }

    [Fact]
    public async Task A_single_target_that_fails_reports_its_own_error_and_commits_nothing()
    {
        var gone = _fx.Temp.Combine("gone");
        Directory.CreateDirectory(gone);
        await _fx.NewCollectionAsync("single", targets: EngineFixture.Tree("gone", gone));
        Directory.Delete(gone);
        var error = await Assert.ThrowsAsync<TargetUnavailableException>(() => _fx.BackupAsync("single"));
        Assert.Contains(gone, error.Message);
        Assert.Empty(await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository }));
    }

    [Fact]
    public async Task Unknown_collection_and_backup_and_existing_name_are_clear_errors()
    {
        await CreateAsync();
        var unknown = await Assert.ThrowsAsync<CollectionNotFoundException>(() => _fx.BackupAsync("nope"));
        Assert.Contains("'nope' does not exist", unknown.Message);
        await Assert.ThrowsAsync<BackupNotFoundException>(() => _fx.RestoreAsync("20200101T000000Z_full_00000000", _fx.Temp.Combine("r")));
        await Assert.ThrowsAsync<InvalidBackupRequestException>(() => _fx.RestoreAsync("not-an-id", _fx.Temp.Combine("r")));
        await Assert.ThrowsAsync<CollectionExistsException>(() => CreateAsync());
        var again = await _fx.Engine.NewCollectionAsync(new NewCollectionRequest("c", [EngineFixture.Tree("other", "/tmp")]) { Repository = _fx.Repository, IfNotExists = true });
        Assert.Equal("src", Assert.Single(again.Targets).Name); // IF NOT EXISTS returns the existing definition
        await Assert.ThrowsAsync<RepositoryNotFoundException>(() => _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Temp.Combine("no-repo") }));
        await Assert.ThrowsAsync<InvalidBackupRequestException>(() => _fx.NewCollectionAsync("bad/name", targets: EngineFixture.Tree("src", _tree.Root)));
        await Assert.ThrowsAsync<InvalidBackupRequestException>(() => _fx.NewCollectionAsync("two", targets: [EngineFixture.Tree("x", _tree.Root), EngineFixture.Tree("x", "/tmp")]));
    }

    [Fact]
    public async Task Restore_refuses_to_overwrite_without_force_and_overwrites_with_it()
    {
        await CreateAsync();
        var backup = await _fx.BackupAsync("c");
        var destination = _fx.Temp.Combine("dest");
        Directory.CreateDirectory(destination);
        File.WriteAllText(Path.Combine(destination, "a.txt"), "local edit");

        var refused = Assert.Single(await _fx.RestoreAsync(backup.Id, destination));
        Assert.IsType<RestoreConflictException>(refused.Error);
        Assert.Contains("-Force", refused.Error!.Message);
        Assert.Equal("local edit", File.ReadAllText(Path.Combine(destination, "a.txt")));
        Assert.Equal(["a.txt"], Directory.EnumerateFileSystemEntries(destination).Select(Path.GetFileName));

        var forced = Assert.Single(await _fx.RestoreAsync(backup.Id, destination, force: true));
        Assert.Null(forced.Error);
        TreeSnapshot.AssertEqual(TreeSnapshot.Take(_tree.Root), TreeSnapshot.Take(destination));
    }

    [Fact]
    public async Task Restore_to_the_original_path_needs_force_when_files_exist()
    {
        await CreateAsync();
        var before = TreeSnapshot.Take(_tree.Root);
        var backup = await _fx.BackupAsync("c");
        File.WriteAllText(_tree.PathOf("a.txt"), "damaged");
        File.Delete(_tree.PathOf("sub/c.txt"));

        Assert.IsType<RestoreConflictException>(Assert.Single(await _fx.RestoreAsync(backup.Id, destination: null)).Error);
        Assert.Null(Assert.Single(await _fx.RestoreAsync(backup.Id, destination: null, force: true)).Error);
        TreeSnapshot.AssertEqual(before, TreeSnapshot.Take(_tree.Root));
    }

    [Fact]
    public async Task Restore_never_writes_through_a_symlink_in_the_destination()
    {
        await CreateAsync();
        var backup = await _fx.BackupAsync("c");
        var outside = _fx.Temp.Combine("outside");
        Directory.CreateDirectory(outside);
        var destination = _fx.Temp.Combine("dest");
        Directory.CreateDirectory(destination);
        Directory.CreateSymbolicLink(Path.Combine(destination, "sub"), outside);

        var outcome = Assert.Single(await _fx.RestoreAsync(backup.Id, destination, force: true));
        Assert.IsType<UnsafePathException>(outcome.Error);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
    }

    [Theory]
    [InlineData("../escaped.txt")]
    [InlineData("sub/../../escaped.txt")]
    [InlineData("/tmp/psbackup-absolute-escape.txt")]
    [InlineData("link/escaped.txt")]
    public async Task A_tampered_index_that_escapes_the_destination_is_refused(string evilPath)
    {
        _tree.Symlink("link", "..");
        await CreateAsync();
        var backup = await _fx.BackupAsync("c");
        // In its place in the index's path order, as a careful forger would put it (an entry out of order is refused as corrupt before that).
        await RewriteIndexAsync(backup.Id, entries => entries.Insert(entries.Count(e => string.CompareOrdinal((string?)e["path"], evilPath) < 0), new JObject
        {
            ["path"] = evilPath, ["type"] = "file", ["mode"] = "0644", ["mtime"] = "2026-01-01T00:00:00Z",
            ["size"] = 5, ["sha256"] = entries.First(e => (string?)e["path"] == "a.txt")["sha256"], ["backup"] = backup.Id, ["offset"] = 0,
        }));
        var destination = _fx.Temp.Combine("deep", "dest");

        var outcome = Assert.Single(await _fx.RestoreAsync(backup.Id, destination));
        Assert.IsType<UnsafePathException>(outcome.Error);
        Assert.Contains(evilPath, outcome.Error!.Message);
        Assert.False(File.Exists(_fx.Temp.Combine("deep", "escaped.txt")));
        Assert.False(File.Exists("/tmp/psbackup-absolute-escape.txt"));
        Assert.False(Directory.Exists(destination));
    }

    /// <summary>Rewrites a backup's (uncompressed) index and re-signs the manifest, as an attacker with write access could.</summary>
    private async Task RewriteIndexAsync(string backupId, Action<List<JObject>> edit)
    {
        var backupDir = Directory.EnumerateDirectories(_fx.Repository, backupId, SearchOption.AllDirectories).Single();
        var indexPath = Path.Combine(backupDir, "src", "index.gz");
        List<string> lines;
        await using (var gz = new System.IO.Compression.GZipStream(File.OpenRead(indexPath), System.IO.Compression.CompressionMode.Decompress))
        using (var reader = new StreamReader(gz))
            lines = (await reader.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
        var entries = lines.Skip(1).Select(JObject.Parse).ToList();
        edit(entries);
        var plain = System.Text.Encoding.UTF8.GetBytes(string.Join("\n", lines.Take(1).Concat(entries.Select(e => e.ToString(Newtonsoft.Json.Formatting.None)))) + "\n");
        await using (var output = new System.IO.Compression.GZipStream(File.Create(indexPath), System.IO.Compression.CompressionLevel.Fastest))
            await output.WriteAsync(plain);
        Tamper.Edit(Path.Combine(backupDir, "manifest.json"), manifest =>
        {
            var artifact = manifest["targets"]![0]!["artifacts"]!.First(a => (string?)a["name"] == "index")!;
            artifact["size"] = plain.Length;
            artifact["storedSize"] = new FileInfo(indexPath).Length;
            artifact["sha256"] = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(plain)).ToLowerInvariant();
            artifact["storedSha256"] = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(indexPath))).ToLowerInvariant();
        });
    }

    [Theory]
    [InlineData("config.json")]
    [InlineData("collection.json")]
    [InlineData("manifest.json")]
    public async Task A_document_of_a_newer_format_version_is_refused_and_nothing_changes(string document)
    {
        await CreateAsync();
        var backup = await _fx.BackupAsync("c");
        var path = Directory.EnumerateFiles(_fx.Repository, document, SearchOption.AllDirectories).Single();
        var json = JObject.Parse(await File.ReadAllTextAsync(path));
        json["version"] = 99;
        await File.WriteAllTextAsync(path, json.ToString());
        var before = Directory.EnumerateFiles(_fx.Repository, "*", SearchOption.AllDirectories).Order().ToList();

        var error = await Assert.ThrowsAsync<RepositoryFormatException>(() => _fx.BackupAsync("c", BackupType.Incremental));
        Assert.Contains("newer PsBackup (format version 99; this version reads up to 2)", error.Message);
        await Assert.ThrowsAsync<RepositoryFormatException>(() => _fx.RestoreAsync(backup.Id, _fx.Temp.Combine("r")));
        Assert.Equal(before, Directory.EnumerateFiles(_fx.Repository, "*", SearchOption.AllDirectories).Order().ToList());
        Assert.False(Directory.Exists(_fx.Temp.Combine("r")));
    }

    [Fact]
    public async Task Two_concurrent_backups_of_one_collection_one_runs_the_other_gets_a_lock_error()
    {
        // 2 GB allocated, never written (no holes to skip): the first backup runs for a while whatever the load.
        RawFs.Preallocate(_tree.PathOf("preallocated.bin"), 2L << 30);
        await CreateAsync();
        var first = _fx.Engine.InvokeBackupAsync(new BackupRequest("c") { Repository = _fx.Repository });
        var lockFile = Path.Combine(_fx.Repository, "collections", "c", "lock.json");
        while (!File.Exists(lockFile) && !first.IsCompleted) await Task.Delay(1);

        var conflict = await Assert.ThrowsAsync<LockConflictException>(() => _fx.BackupAsync("c"));
        Assert.Contains($"pid {Environment.ProcessId}", conflict.Message);
        Assert.Equal("CollectionLocked", conflict.ErrorId);
        var result = await first;
        Assert.Empty(result.Failures);
        Assert.Equal(result.Backup.Id, Assert.Single(await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository })).Id);
        Assert.False(File.Exists(lockFile));
    }

    [Fact]
    public async Task A_lock_left_by_a_dead_process_or_past_its_lease_is_taken_over()
    {
        await CreateAsync();
        var lockFile = Path.Combine(_fx.Repository, "collections", "c", "lock.json");
        var stale = new JObject
        {
            ["owner"] = "dead", ["host"] = Environment.MachineName, ["pid"] = 999_999_999, ["user"] = "x", ["operation"] = "Invoke-Backup",
            ["acquired"] = DateTimeOffset.UtcNow, ["expires"] = DateTimeOffset.UtcNow.AddHours(1),
        };
        await File.WriteAllTextAsync(lockFile, stale.ToString());
        await _fx.BackupAsync("c"); // same host, no such pid: stale

        stale["host"] = "another-host";
        stale["expires"] = DateTimeOffset.UtcNow.AddMinutes(-1);
        await File.WriteAllTextAsync(lockFile, stale.ToString());
        await _fx.BackupAsync("c"); // lease expired

        stale["expires"] = DateTimeOffset.UtcNow.AddMinutes(5);
        await File.WriteAllTextAsync(lockFile, stale.ToString());
        var live = await Assert.ThrowsAsync<LockConflictException>(() => _fx.BackupAsync("c")); // another host, live lease
        Assert.Contains("another-host", live.Message);
        Assert.Equal(2, (await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository })).Count);
    }

    [Fact]
    public async Task A_cancelled_backup_leaves_no_backup_and_no_lock()
    {
        for (var i = 0; i < 40; i++) _tree.RandomFile($"bulk/{i}.bin", 1_000_000, 200 + i);
        await CreateAsync();
        using var cancel = new CancellationTokenSource();
        var progress = new SyncProgress(_ => cancel.Cancel()); // the first report comes after the first file chunk
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            _fx.Engine.InvokeBackupAsync(new BackupRequest("c") { Repository = _fx.Repository }, progress, cancel.Token));

        Assert.Empty(await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository }));
        Assert.False(Directory.Exists(Path.Combine(_fx.Repository, "collections", "c", "backups")) &&
                     Directory.EnumerateFiles(Path.Combine(_fx.Repository, "collections", "c", "backups"), "*", SearchOption.AllDirectories).Any());
        Assert.False(File.Exists(Path.Combine(_fx.Repository, "collections", "c", "lock.json")));
        await _fx.BackupAsync("c");
    }

    [Fact]
    public async Task One_failing_target_does_not_stop_the_others_and_the_backup_is_partial()
    {
        var missing = _fx.Temp.Combine("will-vanish");
        Directory.CreateDirectory(missing);
        await _fx.NewCollectionAsync("two", targets: [EngineFixture.Tree("good", _tree.Root), EngineFixture.Tree("gone", missing)]);
        Directory.Delete(missing);

        var result = await _fx.Engine.InvokeBackupAsync(new BackupRequest("two") { Repository = _fx.Repository });
        var failure = Assert.Single(result.Failures);
        Assert.Equal("gone", failure.Target);
        Assert.IsType<TargetUnavailableException>(failure.Error);
        Assert.Equal(BackupStatus.Partial, result.Backup.Status);
        Assert.Equal(1, result.Backup.FailedTargetCount);

        var outcomes = await _fx.RestoreAsync(result.Backup.Id, _fx.Temp.Combine("r"));
        Assert.Null(outcomes.Single(o => o.Target == "good").Error);
        Assert.NotNull(outcomes.Single(o => o.Target == "gone").Error);
        TreeSnapshot.AssertEqual(TreeSnapshot.Take(_tree.Root), TreeSnapshot.Take(_fx.Temp.Combine("r", "good")));
    }

    /// <summary>IProgress that reports synchronously on the worker thread (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SyncProgress(Action<BackupProgress> report) : IProgress<BackupProgress>
    {
        public void Report(BackupProgress value) => report(value);
    }
}
