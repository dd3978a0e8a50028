using Newtonsoft.Json.Linq;
using PsBackup.Engine.Providers.Files;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Tests.Support;
using Xunit.Abstractions;
using static PsBackup.Engine.Tests.Support.RawFs;

namespace PsBackup.Engine.Tests.Files;

/// <summary>
/// Restores compared with the original by a byte-level walk (<see cref="RawTreeWalker"/>): names
/// as bytes, contents, modes, owners, mtimes, hard-link identity, allocation of sparse files,
/// xattrs and ACLs. Runs as root, as CI does, on the test file system (ext4 here: ACLs and user
/// xattrs supported; the test says so, or fails when they are not).
/// </summary>
public sealed class FidelityTests(ITestOutputHelper output) : IDisposable
{
    private readonly EngineFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    private static void AssertSame(SortedDictionary<string, RawItem> expected, SortedDictionary<string, RawItem> actual, bool owners = true, params string[] ignoreXattrs)
    {
        var differences = RawTreeWalker.Compare(expected, actual, owners, ignoreXattrs);
        Assert.True(differences.Count == 0, string.Join("\n", differences.Take(20)));
    }

    private JObject State(BackupInfo backup, string collection) =>
        (JObject)JObject.Parse(File.ReadAllText(Path.Combine(_fx.Repository, "collections", collection, "backups", backup.Id, "manifest.json")))["targets"]![0]!["state"]!;

    [Fact]
    public async Task A_full_and_an_incremental_restore_names_owners_links_holes_xattrs_and_modes_exactly()
    {
        Assert.True(FidelityTree.SupportsAcls(_fx.Temp.Path), $"the test file system ({_fx.Temp.Path}) does not support POSIX ACLs");
        output.WriteLine($"{_fx.Temp.Path} supports POSIX ACLs and user xattrs");
        var source = _fx.Temp.Combine("src");
        FidelityTree.Build(source);
        var atFull = RawTreeWalker.Walk(source);
        Assert.Contains(atFull.Values, i => i.Path.Length > 2000);
        Assert.Contains(atFull.Values, i => i.Holes >= 2);
        Assert.Contains(atFull.Values, i => i.Xattrs.Contains("system.posix_acl_default"));
        await _fx.NewCollectionAsync("fidelity", targets: EngineFixture.Tree("src", source));

        var full = await _fx.Engine.InvokeBackupAsync(new BackupRequest("fidelity") { Repository = _fx.Repository });
        Assert.Empty(full.Failures);
        Assert.Empty(full.Warnings);
        // Holes are not stored, hard-linked bytes once: what was read is exactly the data.
        var data = atFull.Values.Where(i => i.Type == "file" && i.Holes == 0 && (i.LinkGroup == null || i.LinkGroup == i.Path)).Sum(i => i.Size)
                   + FidelityTree.SparseFiles.Sum(f => f.Data.Sum(d => (long)d.Length));
        Assert.Equal(data, (long)State(full.Backup, "fidelity")["bytesRead"]!);
        Assert.True(full.Backup.SizeBytes < 1 << 20, $"{full.Backup.SizeBytes} bytes stored for {atFull.Values.Sum(i => i.Size)} bytes of files");

        var restoredFull = _fx.Temp.Combine("restored-full");
        var outcome = Assert.Single(await _fx.RestoreAsync(full.Backup.Id, restoredFull));
        Assert.Null(outcome.Error);
        Assert.Empty(outcome.Warnings);
        AssertSame(atFull, RawTreeWalker.Walk(restoredFull));

        // Changes of every kind: new links to unchanged files (one becomes its group's first
        // path), owner, mode and xattr only, new content, a new sparse file, a deletion.
        byte[] P(string relative) => Join(source, B(relative));
        Link(P("links/a"), P("links/0-first"));
        Link(P("links/c"), P("links/e"));
        Chown(P("owners/u1001"), 1002, 1002);
        Chmod(P("modes/setuid"), FidelityTree.Octal("755"));
        SetXattr(P("xattrs/file"), "user.comment", B("changed"));
        var latin1 = FidelityTree.Random(3000, 77);
        WriteFile(Join(source, FidelityTree.Latin1Name), latin1);
        WriteSparse(P("sparse/new"), 8 << 20, (4 << 20, FidelityTree.Random(4096, 78)));
        Unlink(P("owners/nobody"));
        var atIncremental = RawTreeWalker.Walk(source);

        var incremental = await _fx.Engine.InvokeBackupAsync(new BackupRequest("fidelity") { Repository = _fx.Repository, Type = BackupType.Incremental });
        Assert.Empty(incremental.Failures);
        var state = State(incremental.Backup, "fidelity");
        Assert.Equal(3000 + 4096, (long)state["bytesRead"]!); // the new links' bytes come from the full
        Assert.Equal(3, (int)state["added"]!);    // links/0-first, links/e, sparse/new
        Assert.Equal(1, (int)state["deleted"]!);  // owners/nobody
        // links/a (now a link), links/b and other/a-too (new first path), owners/u1001 (owner),
        // modes/setuid (mode), xattrs/file (xattr), the Latin-1 file (content), and the mtimes of
        // the directories links, sparse and owners.
        Assert.Equal(10, (int)state["modified"]!);

        var restoredIncremental = _fx.Temp.Combine("restored-incremental");
        Assert.Null(Assert.Single(await _fx.RestoreAsync(incremental.Backup.Id, restoredIncremental)).Error);
        AssertSame(atIncremental, RawTreeWalker.Walk(restoredIncremental));
        Assert.Equal(4, atIncremental["links/a"].LinkCount);

        var fullAgain = _fx.Temp.Combine("restored-full-again");
        Assert.Null(Assert.Single(await _fx.RestoreAsync(full.Backup.Id, fullAgain)).Error);
        AssertSame(atFull, RawTreeWalker.Walk(fullAgain));
    }

    [Fact]
    public async Task Restoring_over_an_existing_tree_with_force_replaces_files_links_and_hard_links()
    {
        var source = _fx.Temp.Combine("src");
        FidelityTree.Build(source);
        var before = RawTreeWalker.Walk(source);
        await _fx.NewCollectionAsync("over", targets: EngineFixture.Tree("src", source));
        var backup = await _fx.BackupAsync("over");
        byte[] P(string relative) => Join(source, B(relative));
        WriteFile(P("links/b"), B("no longer a link"));
        Unlink(P("link-to-latin1"));
        WriteFile(P("link-to-latin1"), B("a file where a symlink was"));
        WriteFile(Join(Join(source, FidelityTree.InvalidDirectory), [.. B("inner"), 0xE9, 0xFF]), B("damaged"));
        Chown(P("owners/ghost"), 0, 0);

        Assert.Null(Assert.Single(await _fx.RestoreAsync(backup.Id, destination: null, force: true)).Error);
        AssertSame(before, RawTreeWalker.Walk(source));
    }

    [Fact]
    public async Task A_root_or_destination_that_is_a_symlink_gives_and_gets_the_directory_s_metadata_not_the_link_s()
    {
        var real = _fx.Temp.Combine("real");
        Directory.CreateDirectory(real);
        File.WriteAllText(Path.Combine(real, "f"), "f");
        Chown(B(real), 1001, 1002);
        Chmod(B(real), FidelityTree.Octal("750"));
        SetXattr(B(real), "user.root", B("r"));
        var root = _fx.Temp.Combine("root-link");
        File.CreateSymbolicLink(root, real);
        var before = RawTreeWalker.Walk(real);
        await _fx.NewCollectionAsync("linked", targets: EngineFixture.Tree("src", root));
        var backup = await _fx.BackupAsync("linked");

        var directory = _fx.Temp.Combine("restored");
        Directory.CreateDirectory(directory);
        var destination = _fx.Temp.Combine("destination-link");
        File.CreateSymbolicLink(destination, directory);
        Assert.Null(Assert.Single(await _fx.RestoreAsync(backup.Id, destination)).Error);
        AssertSame(before, RawTreeWalker.Walk(directory));
        Assert.True(LStat(B(destination)).IsLink);
    }

    [Fact]
    public async Task Owners_are_restored_by_name_with_the_number_as_fallback_or_by_number_with_NumericOwner()
    {
        var source = _fx.Temp.Combine("src");
        Directory.CreateDirectory(source);
        foreach (var (name, uid) in new[] { ("known-name", 4242u), ("unknown-name", 4243u), ("no-name", 4244u) })
        {
            File.WriteAllText(Path.Combine(source, name), name);
            Chown(B(Path.Combine(source, name)), uid, uid);
        }
        await _fx.NewCollectionAsync("owners", compression: CompressionKind.None, targets: EngineFixture.Tree("src", source));
        var backup = await _fx.BackupAsync("owners");
        // As if backed up on another machine: there, 4242 was "nobody" (65534 here) and 4243 a user this machine lacks.
        await RewriteIndexAsync("owners", backup.Id, entry =>
        {
            if ((string)entry["path"]! == "known-name") (entry["user"], entry["group"]) = ("nobody", "nogroup");
            if ((string)entry["path"]! == "unknown-name") (entry["user"], entry["group"]) = ("psbackup-no-such-user", "psbackup-no-such-group");
        });

        var byName = _fx.Temp.Combine("by-name");
        Assert.Null(Assert.Single(await _fx.RestoreAsync(backup.Id, byName)).Error);
        Assert.Equal((65534u, 65534u), Owner(byName, "known-name"));
        Assert.Equal((4243u, 4243u), Owner(byName, "unknown-name"));
        Assert.Equal((4244u, 4244u), Owner(byName, "no-name"));

        var byNumber = _fx.Temp.Combine("by-number");
        await foreach (var outcome in _fx.Engine.RestoreAsync(new RestoreRequest(backup.Id)
                       { Repository = _fx.Repository, Destination = byNumber, Options = [new FileRestoreOptions { NumericOwner = true }] }))
            Assert.Null(outcome.Error);
        Assert.Equal((4242u, 4242u), Owner(byNumber, "known-name"));
        Assert.Equal((4243u, 4243u), Owner(byNumber, "unknown-name"));
        Assert.Equal((4244u, 4244u), Owner(byNumber, "no-name"));
    }

    private static (uint, uint) Owner(string directory, string name)
    {
        var stat = LStat(B(Path.Combine(directory, name)));
        return (stat.Uid, stat.Gid);
    }

    [Fact]
    public async Task A_restore_as_nobody_keeps_its_own_user_says_so_once_and_restores_the_rest()
    {
        var source = _fx.Temp.Combine("src");
        FidelityTree.Build(source);
        var before = RawTreeWalker.Walk(source);
        await _fx.NewCollectionAsync("nonroot", targets: EngineFixture.Tree("src", source));
        var backup = await _fx.BackupAsync("nonroot");
        var parent = _fx.Temp.Combine("nobody-owns-this");
        Directory.CreateDirectory(parent);
        Chown(B(parent), 65534, 65534);
        var destination = Path.Combine(parent, "restored");

        var (exit, stderr) = RunAsNobody("restore", backup.Id, destination, "--repository", _fx.Repository);
        output.WriteLine(stderr);
        Assert.True(exit == 0, stderr);
        Assert.Single(stderr.Split('\n'), l => l.Contains("Owners are not restored"));
        Assert.Single(stderr.Split('\n'), l => l.Contains("'trusted.*' extended attributes"));
        var restored = RawTreeWalker.Walk(destination);
        Assert.All(restored.Values, i => Assert.Equal((65534u, 65534u), (i.Uid, i.Gid)));
        // Everything else as in the source: names, contents, modes (setuid included), links,
        // holes, user xattrs and ACLs; trusted.* needs root.
        AssertSame(before, restored, owners: false, "trusted.");
    }

    /// <summary>psbackup-cli run as the user nobody (runuser), as an unprivileged admin would.</summary>
    private static (int Exit, string Stderr) RunAsNobody(params string[] args)
    {
        var info = new System.Diagnostics.ProcessStartInfo("runuser") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])["-u", "nobody", "--", "env", "HOME=/tmp", "DOTNET_CLI_HOME=/tmp", "dotnet", CliProcess.DllPath(), .. args])
            info.ArgumentList.Add(arg);
        using var process = System.Diagnostics.Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stderr.Result);
    }

    [Fact]
    public async Task Xattrs_are_left_out_by_the_target_or_by_the_restore_and_a_file_system_without_them_is_one_warning()
    {
        var source = _fx.Temp.Combine("src");
        Directory.CreateDirectory(source);
        foreach (var name in new[] { "a", "b" })
        {
            File.WriteAllText(Path.Combine(source, name), name);
            SetXattr(B(Path.Combine(source, name)), "user.note", B(name));
        }
        var withXattrs = EngineFixture.Tree("with", source);
        var without = EngineFixture.Tree("without", source);
        without.NoXattrs = true;
        await _fx.NewCollectionAsync("x", targets: [withXattrs, without]);
        var backup = await _fx.BackupAsync("x");

        var all = _fx.Temp.Combine("all");
        Assert.All(await _fx.RestoreAsync(backup.Id, all), o => Assert.Null(o.Error));
        Assert.Equal("user.note=" + Convert.ToHexString(B("a")), RawTreeWalker.Walk(Path.Combine(all, "with"))["a"].Xattrs);
        Assert.Equal("", RawTreeWalker.Walk(Path.Combine(all, "without"))["a"].Xattrs);

        var skipped = _fx.Temp.Combine("skipped");
        await foreach (var outcome in _fx.Engine.RestoreAsync(new RestoreRequest(backup.Id)
                       { Repository = _fx.Repository, Destination = skipped, Targets = ["with"], Options = [new FileRestoreOptions { SkipXattrs = true }] }))
            Assert.Null(outcome.Error);
        Assert.All(RawTreeWalker.Walk(skipped).Values, i => Assert.Equal("", i.Xattrs));

        // ramfs has no xattrs at all: the restore succeeds with one warning.
        var ramfs = _fx.Temp.Combine("ramfs");
        Directory.CreateDirectory(ramfs);
        RunOrFail("mount", "-t", "ramfs", "psbackup-test", ramfs);
        try
        {
            var outcomes = await _fx.RestoreAsync(backup.Id, Path.Combine(ramfs, "r"));
            Assert.All(outcomes, o => Assert.Null(o.Error));
            var outcome = outcomes.Single(o => o.Target == "with");
            var warning = Assert.Single(outcome.Warnings);
            Assert.Contains("does not support 'user.*' extended attributes", warning);
            Assert.Equal("b", File.ReadAllText(Path.Combine(ramfs, "r", "with", "b")));
        }
        finally
        {
            RunOrFail("umount", ramfs);
        }
    }

    [Fact]
    public async Task Ctime_detection_rereads_a_file_rewritten_with_its_old_size_and_mtime()
    {
        var source = _fx.Temp.Combine("src");
        Directory.CreateDirectory(source);
        var file = B(Path.Combine(source, "config"));
        WriteFile(file, B("version 1"));
        SetMtime(file, 1_700_000_000, 0);
        var byMtime = EngineFixture.Tree("mtime", source);
        var byCtime = EngineFixture.Tree("ctime", source);
        byCtime.UseCtime = true;
        await _fx.NewCollectionAsync("c", targets: [byMtime, byCtime]);
        await _fx.BackupAsync("c");
        WriteFile(file, B("version 2")); // same size
        SetMtime(file, 1_700_000_000, 0);  // and the old mtime, as some tools leave it
        var incremental = await _fx.BackupAsync("c", BackupType.Incremental);

        var restored = _fx.Temp.Combine("r");
        Assert.All(await _fx.RestoreAsync(incremental.Id, restored), o => Assert.Null(o.Error));
        Assert.Equal("version 1", File.ReadAllText(Path.Combine(restored, "mtime", "config"))); // size + mtime cannot see it (as tar and restic --ignore-ctime)
        Assert.Equal("version 2", File.ReadAllText(Path.Combine(restored, "ctime", "config")));
    }

    [Fact]
    public async Task A_path_longer_than_PATH_MAX_is_skipped_with_a_warning_naming_it_and_the_rest_is_backed_up()
    {
        var source = _fx.Temp.Combine("src");
        Directory.CreateDirectory(source);
        File.WriteAllText(Path.Combine(source, "ok.txt"), "ok");
        // mkdir and cd one level at a time: no single call sees the whole path.
        var name = new string('d', 250);
        RunOrFail("bash", "-c", $"cd '{source}' && for i in $(seq 1 20); do mkdir {name} && cd {name} || exit 1; done && echo leaf > leaf.txt");
        await _fx.NewCollectionAsync("long", targets: EngineFixture.Tree("src", source));

        var result = await _fx.Engine.InvokeBackupAsync(new BackupRequest("long") { Repository = _fx.Repository });
        Assert.Empty(result.Failures);
        var warning = Assert.Single(result.Warnings);
        Assert.Contains("longer than the system's limit of 4096 bytes", warning);
        Assert.Contains(name + "/" + name, warning);
        var restored = _fx.Temp.Combine("r");
        Assert.Null(Assert.Single(await _fx.RestoreAsync(result.Backup.Id, restored)).Error);
        Assert.Equal("ok", File.ReadAllText(Path.Combine(restored, "ok.txt")));
    }

    private static void RunOrFail(string file, params string[] args)
    {
        var info = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardError = true };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = System.Diagnostics.Process.Start(info)!;
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)}: {stderr}");
    }

    /// <summary>Rewrites a backup's uncompressed index entry by entry and re-signs the manifest, as if another machine had written it.</summary>
    private async Task RewriteIndexAsync(string collection, string backupId, Action<JObject> edit)
    {
        var backupDir = Path.Combine(_fx.Repository, "collections", collection, "backups", backupId);
        var indexPath = Path.Combine(backupDir, "src", "index");
        var lines = (await File.ReadAllTextAsync(indexPath)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var entries = lines.Skip(1).Select(JObject.Parse).ToList();
        entries.ForEach(edit);
        var plain = System.Text.Encoding.UTF8.GetBytes(string.Join("\n", lines.Take(1).Concat(entries.Select(e => e.ToString(Newtonsoft.Json.Formatting.None)))) + "\n");
        await File.WriteAllBytesAsync(indexPath, plain);
        var manifestPath = Path.Combine(backupDir, "manifest.json");
        var manifest = Tamper.Read(manifestPath);
        var artifact = manifest["targets"]![0]!["artifacts"]!.First(a => (string?)a["name"] == "index")!;
        artifact["size"] = artifact["storedSize"] = plain.Length;
        artifact["sha256"] = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(plain)).ToLowerInvariant();
        if (artifact["storedSha256"] != null) artifact["storedSha256"] = artifact["sha256"]; // uncompressed: stored bytes = plaintext
        Tamper.Write(manifestPath, manifest);
    }
}
