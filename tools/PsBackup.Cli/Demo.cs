using System.Security.Cryptography;
using PsBackup.Engine;
using PsBackup.Engine.Operations;

namespace PsBackup.Cli;

/// <summary>
/// The README's first command: creates a sample directory, backs it up (full, then incremental
/// after a change) into the default repository, restores the latest backup elsewhere and checks
/// the restored tree is byte-for-byte and metadata-identical.
/// </summary>
internal static class Demo
{
    public static async Task<int> RunAsync(BackupEngine engine, string? repository, CancellationToken ct)
    {
        var work = Path.Combine(Path.GetTempPath(), "psbackup-demo");
        var sample = Path.Combine(work, "sample");
        var restored = Path.Combine(work, "restored-" + DateTime.UtcNow.ToString("yyyyMMddTHHmmss"));
        CreateSample(sample);
        Console.WriteLine($"repository : {RepositoryLocation.Resolve(repository)}");
        Console.WriteLine($"sample     : {sample}");

        var target = Engine.Providers.Files.FileTreeTargets.Create(sample, "sample", null, ["*.tmp", "node_modules"]);
        await engine.NewCollectionAsync(new NewCollectionRequest("demo", [target]) { Repository = repository, IncrementalBackupEnabled = true, IfNotExists = true }, ct);
        var full = await engine.InvokeBackupAsync(new BackupRequest("demo") { Repository = repository }, null, ct);
        Console.WriteLine($"full       : {full.Backup.Id}  {full.Backup.SizeBytes} bytes, stored {full.Backup.StoredBytes}");

        File.AppendAllText(Path.Combine(sample, "notes.txt"), $"changed at {DateTime.UtcNow:o}\n");
        var incremental = await engine.InvokeBackupAsync(new BackupRequest("demo") { Repository = repository, Type = BackupType.Incremental }, null, ct);
        Console.WriteLine($"incremental: {incremental.Backup.Id}  {incremental.Backup.SizeBytes} bytes, stored {incremental.Backup.StoredBytes}");

        await foreach (var finding in engine.TestBackupAsync(new VerifyRequest(incremental.Backup.Id) { Repository = repository }, null, ct))
            Console.WriteLine($"verify     : {finding.Status,-7} {finding.ArtifactBackupId} {finding.Artifact}");
        await foreach (var outcome in engine.RestoreAsync(new RestoreRequest(incremental.Backup.Id) { Repository = repository, Destination = restored }, null, ct))
        {
            if (outcome.Error != null) throw outcome.Error;
            Console.WriteLine($"restored   : {outcome.Result!.ItemCount} items to {outcome.Result.Destination}");
        }

        var expected = Describe(sample, exclude: name => name.EndsWith(".tmp") || name == "node_modules");
        var actual = Describe(restored, exclude: _ => false);
        var same = expected.SequenceEqual(actual);
        Console.WriteLine(same ? "result     : restored tree is identical to the sample (bytes, modes, mtimes, links)" : "result     : MISMATCH");
        return same ? 0 : 1;
    }

    private static void CreateSample(string sample)
    {
        if (Directory.Exists(sample)) return;
        Directory.CreateDirectory(Path.Combine(sample, "docs"));
        Directory.CreateDirectory(Path.Combine(sample, "node_modules", "left-pad"));
        Directory.CreateDirectory(Path.Combine(sample, "empty"));
        File.WriteAllText(Path.Combine(sample, "notes.txt"), "PsBackup demo\n");
        File.WriteAllText(Path.Combine(sample, "docs", "readme.md"), "# Sample\n");
        File.WriteAllBytes(Path.Combine(sample, "docs", "random.bin"), RandomNumberGenerator.GetBytes(256 * 1024));
        File.WriteAllText(Path.Combine(sample, "scratch.tmp"), "excluded");
        File.WriteAllText(Path.Combine(sample, "node_modules", "left-pad", "index.js"), "excluded");
        File.CreateSymbolicLink(Path.Combine(sample, "latest-notes"), "notes.txt");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(Path.Combine(sample, "docs", "readme.md"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>One line per path: type, size, mode, mtime, link target, SHA-256.</summary>
    private static List<string> Describe(string root, Func<string, bool> exclude) =>
        new DirectoryInfo(root).EnumerateFileSystemInfos("*", SearchOption.AllDirectories)
            .Where(i => !Path.GetRelativePath(root, i.FullName).Split(Path.DirectorySeparatorChar).Any(exclude))
            .Select(i => string.Join("|", Path.GetRelativePath(root, i.FullName), i.GetType().Name, i.LinkTarget,
                i.LinkTarget == null && i is FileInfo f ? f.Length + "|" + Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f.FullName))) : "",
                i.LinkTarget == null && !OperatingSystem.IsWindows() ? i.UnixFileMode.ToString() : "", i.LastWriteTimeUtc.Ticks))
            .Order(StringComparer.Ordinal).ToList();
}
