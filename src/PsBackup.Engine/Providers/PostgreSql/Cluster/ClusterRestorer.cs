using System.Diagnostics;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Providers.PostgreSql.Cluster;

/// <summary>
/// Restores a cluster target into a data directory that starting PostgreSQL on recovers to the
/// target: the base backup's files, exactly the WAL needed staged in pg_wal/psbackup-restore/,
/// recovery settings appended to postgresql.auto.conf, and recovery.signal. Then pg_verifybackup
/// (where installed) checks the files and the WAL against the backup manifest.
/// </summary>
internal static class ClusterRestorer
{
    public const string StagingFolder = "psbackup-restore";

    public static async Task<RestoreResult> RestoreAsync(TargetRestoreContext context, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var dataDirectory = context.DestinationPath ?? throw new InvalidBackupRequestException("DestinationRequired",
            $"Restoring PostgreSQL cluster target '{context.Target.Name}' needs -Destination: the (empty) directory to become its data directory. " +
            "Stop the cluster first; an in-place restore is -Destination <its data directory> -Force.");
        var full = context.Chain[0];
        var @base = ClusterBackupState.From(full.Targets.First(t => t.Name == context.Target.Name && t.Status == Repository.TargetStatus.Complete));
        var head = ClusterBackupState.From(context.HeadRecord);
        var archive = new WalArchive(context.Reader.Repository.Store, context.Head.Collection);
        var key = context.Reader.Key;
        var where = $"target '{context.Target.Name}' of collection '{context.Head.Collection}'";
        var plan = await RecoveryPlan.MakeAsync(archive, key, full, @base, context.Head, head, context.Recovery, where, ct).ConfigureAwait(false);

        var created = PrepareDestination(dataDirectory, context.Force);
        try
        {
            DataDirectoryWriter.Extracted extracted;
            await using (var tar = await context.OpenArtifactAsync(full.Id, ClusterProvider.BaseArtifact, ct).ConfigureAwait(false))
                extracted = await DataDirectoryWriter.ExtractAsync(tar, dataDirectory, ct).ConfigureAwait(false);

            var staging = Path.Combine(dataDirectory, "pg_wal", StagingFolder);
            Directory.CreateDirectory(staging);
            long walBytes = 0;
            var progress = new ProgressReporter(context.Progress, $"Staging WAL for '{context.Target.Name}'", -1);
            // Segments are independent verified artifacts: fetch them in parallel (-ThrottleLimit).
            await Workers.RunAsync(plan.Files, context.ThrottleLimit, async (name, token) =>
            {
                var entry = await archive.ReadEntryAsync(name, token).ConfigureAwait(false);
                await archive.FetchAsync(entry, key, Path.Combine(staging, name), token).ConfigureAwait(false);
                Interlocked.Add(ref walBytes, entry.Size);
                progress.Add(entry.Size, name);
            }, ct).ConfigureAwait(false);
            WriteRecoverySettings(dataDirectory, plan, context);
            if (Posix.IsRoot && extracted.Uid >= 0)
                foreach (var path in Directory.EnumerateFileSystemEntries(staging).Append(staging)
                             .Append(Path.Combine(dataDirectory, "postgresql.auto.conf")).Append(Path.Combine(dataDirectory, "recovery.signal")))
                    Posix.Chown(path, extracted.Uid, extracted.Gid);
            await VerifyAsync(dataDirectory, staging, ct).ConfigureAwait(false);
            return new RestoreResult
            {
                BackupId = context.Head.Id, Collection = context.Head.Collection, Target = context.Target.Name, Destination = dataDirectory,
                ItemCount = extracted.Files + plan.Files.Count, SizeBytes = extracted.Bytes + walBytes, Duration = clock.Elapsed,
            };
        }
        catch
        {
            // Nothing half-restored stays behind: a data directory that would start but lack WAL is worse than none.
            if (created) Directory.Delete(dataDirectory, recursive: true);
            else Empty(dataDirectory);
            throw;
        }
    }

    /// <summary>The destination must be empty (or absent); -Force empties a stopped cluster's directory. True when the restore created it.</summary>
    private static bool PrepareDestination(string path, bool force)
    {
        if (File.Exists(path)) throw new RestoreConflictException($"'{path}' is a file; a cluster is restored into a directory.");
        if (!Directory.Exists(path))
        {
            Directory.CreateDirectory(path);
            return true;
        }
        if (!Directory.EnumerateFileSystemEntries(path).Any()) return false;
        if (File.Exists(Path.Combine(path, "postmaster.pid")))
            throw new RestoreConflictException($"'{path}' holds a running (or crashed) cluster (postmaster.pid exists): stop it before restoring over it.");
        if (!force)
            throw new RestoreConflictException($"'{path}' is not empty. Restore into an empty directory, or give -Force to replace its contents.");
        Empty(path);
        return false;
    }

    private static void Empty(string path)
    {
        foreach (var entry in new DirectoryInfo(path).EnumerateFileSystemInfos())
            if (entry is DirectoryInfo { LinkTarget: null } directory) directory.Delete(recursive: true);
            else entry.Delete();
    }

    private static void WriteRecoverySettings(string dataDirectory, RecoveryPlan plan, TargetRestoreContext context)
    {
        var lines = new List<string>
        {
            "",
            $"# PsBackup restore of backup {context.Head.Id} (collection {context.Head.Collection}, target {context.Target.Name}) to {plan.Description}.",
            "# The staged WAL in pg_wal/" + StagingFolder + "/ can be removed once recovery has finished; archiving stays off until you set it up again.",
            $"restore_command = 'test -f \"pg_wal/{StagingFolder}/%f\" && cp \"pg_wal/{StagingFolder}/%f\" \"%p\"'",
        };
        lines.AddRange(plan.Settings);
        lines.Add("archive_mode = 'off'");
        File.AppendAllLines(Path.Combine(dataDirectory, "postgresql.auto.conf"), lines);
        File.WriteAllText(Path.Combine(dataDirectory, "recovery.signal"), "");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Path.Combine(dataDirectory, "recovery.signal"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>
    /// pg_verifybackup, where installed: every file the manifest lists is there with its size, and the
    /// staged WAL parses from the backup's start to its consistent point. File checksums are skipped:
    /// every file's SHA-256 was checked against the manifest when the backup was taken, and the tar
    /// they were just written from against the artifact's SHA-256.
    /// </summary>
    private static async Task VerifyAsync(string dataDirectory, string staging, CancellationToken ct)
    {
        if (PgTools.Find("pg_verifybackup") is not { } verifier) return;
        var (exitCode, output) = await PgTools.RunAsync(verifier, ["--quiet", "--skip-checksums", $"--wal-directory={staging}", dataDirectory], ct).ConfigureAwait(false);
        if (exitCode != 0)
            throw new IntegrityException($"pg_verifybackup rejected the restored data directory '{dataDirectory}': {output}");
    }
}
