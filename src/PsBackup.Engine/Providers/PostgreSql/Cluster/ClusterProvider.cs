using System.Net;
using Newtonsoft.Json.Linq;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers.Capabilities;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers.PostgreSql.Cluster;

/// <summary>
/// PostgreSQL clusters, physically. A full backup is pg_basebackup's tar (-X none: the WAL comes
/// from the collection's WAL archive, which archive_command fills), checked against its backup
/// manifest as it streams. An incremental closes the current WAL segment and records the WAL
/// range since the previous backup once all of it is archived. Restores: <see cref="ClusterRestorer"/>.
/// </summary>
internal sealed class ClusterProvider : EngineKind<PostgreSqlClusterTarget>, IIncrementalBackup, IPointInTimeRecovery, IHealthProbe,
    IRestoreDrill, IArchivedLogRetention, IArchivedLogCopy, IArchivedLogVerification, IFailover
{
    public const string BaseArtifact = "base.tar";
    private static readonly TimeSpan ArchiveWait = TimeSpan.FromSeconds(60);

    /// <summary>A full is a base backup; an incremental is a range of archived WAL and has no artifact.</summary>
    public override IReadOnlyList<string> RequiredArtifacts(BackupType type) => type == BackupType.Full ? [BaseArtifact] : [];

    /// <summary>-Destination is the directory that becomes the restored cluster's data directory.</summary>
    public override bool IsPathDestination(string destination) => true;

    public Task ProbeAsync(BackupTarget target, NetworkCredential? credential, CancellationToken ct) =>
        ClusterServer.ReadAsync((PostgreSqlClusterTarget)target, credential, ct);

    public Task<IReadOnlyList<ReplicaState>> GetReplicationAsync(BackupTarget target, NetworkCredential? credential, CancellationToken ct) =>
        ClusterReplication.ReadAsync((PostgreSqlClusterTarget)target, credential, ct);

    public Task<DataLossEstimate> EstimateDataLossAsync(CollectionScope scope, BackupTarget target, IReadOnlyList<ReplicaState> servers, ReplicaState standby,
        NetworkCredential? credential, CancellationToken ct) =>
        ClusterReplication.EstimateAsync(scope, (PostgreSqlClusterTarget)target, servers, standby, credential, ct);

    public Task PromoteAsync(BackupTarget target, string endpoint, NetworkCredential? credential, CancellationToken ct) =>
        ClusterReplication.PromoteAsync((PostgreSqlClusterTarget)target, endpoint, credential, ct);

    public Task VerifyWritableAsync(BackupTarget target, string endpoint, NetworkCredential? credential, CancellationToken ct) =>
        ClusterReplication.VerifyWritableAsync((PostgreSqlClusterTarget)target, endpoint, credential, ct);

    public BackupTarget PointAt(BackupTarget target, string oldPrimary, string newPrimary) =>
        ClusterReplication.PointAt((PostgreSqlClusterTarget)target, oldPrimary, newPrimary);

    public BackupTarget WithStandbys(BackupTarget target, IReadOnlyList<string> standbys) =>
        ClusterReplication.WithStandbys((PostgreSqlClusterTarget)target, standbys);

    public void ValidateRecoveryTarget(RecoveryTarget recovery)
    {
        if (recovery.Position != null) Lsn.Parse(recovery.Position);
    }

    public bool EndsBefore(TargetRecord record, string position) =>
        Lsn.Parse(ClusterBackupState.From(record).StopLsn) <= Lsn.Parse(position);

    public Task<bool> ArchiveLogAsync(CollectionScope scope, string file, string name, CancellationToken ct) =>
        WalOperations.ArchiveAsync(scope, file, name, ct);

    /// <summary>archive_command with %p (path, relative to the data directory) and %f (file name); quotes doubled for the .conf / SQL literal.</summary>
    public (string Command, string ConfigurationLine) ArchiveSetting(string command)
    {
        var full = command + " %p %f";
        return (full, $"archive_command = '{full.Replace("'", "''", StringComparison.Ordinal)}'");
    }

    public Task<RecoveryWindow> GetWindowAsync(CollectionScope scope, BackupTarget target, IReadOnlyList<BackupManifest> backups, CancellationToken ct) =>
        WalOperations.WindowAsync(scope, target.Name, backups, ct);

    public Task<IReadOnlyList<ArchivedLogRange>> PlanLogRetentionAsync(CollectionScope scope, ArchivedLogRetention request, CancellationToken ct) =>
        WalRetention.PlanAsync(scope, request, ct);

    public Task RemoveLogAsync(CollectionScope scope, ArchivedLogRange range, CancellationToken ct) =>
        WalRetention.RemoveAsync(scope, range, ct);

    public IAsyncEnumerable<ArchivedLogCopy> CopyLogAsync(CollectionScope source, CollectionScope destination, IReadOnlyList<BackupManifest> backups, bool whole,
        Func<CancellationToken, Task<IAsyncDisposable>> lockDestination, IProgress<BackupProgress>? progress, CancellationToken ct) =>
        WalCopier.CopyAsync(source, destination, backups, whole, lockDestination, progress, ct);

    public IAsyncEnumerable<ArtifactVerification> VerifyLogAsync(CollectionScope scope, IReadOnlyList<BackupManifest> chain, TargetRecord target,
        IProgress<BackupProgress>? progress, CancellationToken ct) =>
        WalVerifier.VerifyAsync(scope, chain, target, progress, ct);

    /// <summary>Whether a backup's target record is of a cluster target.</summary>
    public static bool IsCluster(TargetRecord record) => record.Kind == KindName;

    /// <summary>The target's record in a backup where it is a complete cluster backup, else null.</summary>
    public static TargetRecord? CompleteRecord(BackupManifest backup, string target) =>
        backup.Targets.FirstOrDefault(t => t.Name == target && t.Status == TargetStatus.Complete && t.Kind == KindName);

    private static readonly string KindName = new PostgreSqlClusterTarget().Kind;

    public override async Task<JObject> BackupAsync(TargetBackupContext context, CancellationToken ct)
    {
        var target = (PostgreSqlClusterTarget)context.Target;
        var server = await ClusterServer.ReadAsync(target, context.Credential, ct).ConfigureAwait(false);
        if (server.ArchiveMode == "off")
            throw new WalArchivingOffException($"PostgreSQL {target.Host}:{target.Port} has archive_mode = off, so WAL between backups would be lost. " +
                                               $"Set in postgresql.conf (then restart): {ArchiveCommandHint(context)}");
        // archive_mode on with nothing to archive: PostgreSQL keeps the WAL and pg_backup_stop would wait for it forever.
        if (server.ArchiveCommand is "" && string.IsNullOrEmpty(server.ArchiveLibrary))
            throw new WalArchivingOffException($"PostgreSQL {target.Host}:{target.Port} has archive_mode = {server.ArchiveMode} but an empty archive_command, so no WAL reaches the " +
                                               $"collection and the base backup would wait for it forever. Set in postgresql.conf (then reload): {ArchiveCommandHint(context)}");
        if (server.ArchiveCommand is { } command && !((command.Contains("archive-wal", StringComparison.Ordinal) || command.Contains("archive-log", StringComparison.Ordinal)) && command.Contains(context.Session.Manifest.Collection, StringComparison.Ordinal)))
            context.Warn($"archive_command ('{command}') does not seem to archive into collection '{context.Session.Manifest.Collection}'; the backup fails if the WAL does not arrive there. Expected: {ArchiveCommandHint(context)}");
        var archive = new WalArchive(context.Session.Repository.Store, context.Session.Manifest.Collection);
        return context.Type == BackupType.Full
            ? await FullAsync(context, target, server, archive, ct).ConfigureAwait(false)
            : await IncrementalAsync(context, target, server, archive, ct).ConfigureAwait(false);
    }

    private static async Task<JObject> FullAsync(TargetBackupContext context, PostgreSqlClusterTarget target, ClusterServer server, WalArchive archive, CancellationToken ct)
    {
        using var checker = new BaseBackupTarChecker();
        var progress = new ProgressReporter(context.Progress, $"Base backup of '{target.Name}'", -1);
        await context.WriteArtifactAsync(BaseArtifact, async sink =>
        {
            // -X none: the server waits (pg_backup_stop) until archive_command has taken the last WAL segment the backup needs.
            using var process = PgTools.Start(PgTools.Require("pg_basebackup"),
                ["-D", "-", "-F", "t", "-X", "none", "-c", "fast", "-w", $"--manifest-checksums={BaseBackupTarChecker.ManifestChecksum}", "-l", $"PsBackup {context.BackupId}"],
                PgConnections.LibpqEnvironment(target, context.Credential));
            var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
            try
            {
                var stdout = process.StandardOutput.BaseStream;
                if (stdout is System.IO.Pipes.PipeStream pipe) Posix.TryGrowPipe(pipe.SafePipeHandle, 1 << 20);
                var buffer = new byte[1 << 20];
                int n;
                while ((n = await stdout.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                {
                    checker.Append(buffer.AsSpan(0, n));
                    await sink.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                    progress.Add(n, BaseArtifact);
                }
                await process.WaitForExitAsync(ct).ConfigureAwait(false);
            }
            finally
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
            }
            if (process.ExitCode != 0)
                throw BaseBackupFailed(target, process.ExitCode, await stderr.ConfigureAwait(false));
        }, ct).ConfigureAwait(false);
        var facts = checker.Finish();
        var start = WalFileName.SegmentOf(facts.StartLsn, server.WalSegmentSize);
        var stop = WalFileName.SegmentOf(facts.StopLsn, server.WalSegmentSize);
        var chain = await WaitForArchiveAsync(archive, context, facts.StartTimeline, start, stop, server.WalSegmentSize, ct).ConfigureAwait(false);
        return new ClusterBackupState
        {
            WalSegmentSize = server.WalSegmentSize, ServerVersion = server.ServerVersion, SystemIdentifier = server.SystemIdentifier,
            StartTimeline = facts.StartTimeline, StartLsn = facts.StartLsn.ToString(), Timeline = facts.StopTimeline, StopLsn = facts.StopLsn.ToString(),
            StartSegment = chain.Segments[0], StopSegment = chain.Segments[(int)(stop - start)], Files = facts.FileCount,
        }.ToJson();
    }

    private static async Task<JObject> IncrementalAsync(TargetBackupContext context, PostgreSqlClusterTarget target, ClusterServer server, WalArchive archive, CancellationToken ct)
    {
        var previous = ClusterBackupState.From(context.Base!.Record);
        var (end, closed, timeline) = await ClusterServer.SwitchWalAsync(target, context.Credential, ct).ConfigureAwait(false);
        var from = WalFileName.SegmentOf(Lsn.Parse(previous.StopLsn), previous.WalSegmentSize);
        var to = WalFileName.SegmentNumber(closed, server.WalSegmentSize);
        if (to < from) to = from; // nothing written since the previous backup
        await WaitForArchiveAsync(archive, context, previous.Timeline, from, to, server.WalSegmentSize, ct).ConfigureAwait(false);
        return new ClusterBackupState
        {
            WalSegmentSize = server.WalSegmentSize, ServerVersion = server.ServerVersion, SystemIdentifier = server.SystemIdentifier,
            StartTimeline = previous.Timeline, StartLsn = previous.StopLsn, Timeline = timeline, StopLsn = (end > Lsn.Parse(previous.StopLsn) ? end : Lsn.Parse(previous.StopLsn)).ToString(),
            StartSegment = previous.StopSegment, StopSegment = closed,
        }.ToJson();
    }

    /// <summary>Waits until segments <paramref name="from"/>..<paramref name="to"/> are all in the archive (archive_command runs asynchronously).</summary>
    private static async Task<WalChain> WaitForArchiveAsync(WalArchive archive, TargetBackupContext context, int timeline, ulong from, ulong to, long segmentSize, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + ArchiveWait;
        while (true)
        {
            var names = await archive.ListAsync(ct).ConfigureAwait(false);
            var lineage = await WalChain.LineageAsync(archive, names, timeline, context.Session.Key, ct).ConfigureAwait(false);
            var chain = WalChain.Walk(names, lineage, from, segmentSize);
            if (chain.Reaches(to)) return chain;
            if (DateTime.UtcNow > deadline)
                throw new WalSegmentMissingException(WalFileName.Segment(lineage.TimelineOf(from + (ulong)chain.Segments.Count, segmentSize), from + (ulong)chain.Segments.Count, segmentSize),
                    context.Session.Manifest.Collection, $"it did not arrive in the repository within {ArchiveWait.TotalSeconds:0} s. Is archive_command set to {ArchiveCommandHint(context)}?");
            await Task.Delay(500, ct).ConfigureAwait(false);
        }
    }

    private static string ArchiveCommandHint(TargetBackupContext context) =>
        $"archive_mode = on, archive_command = the line Get-BackupArchiveCommand -Collection {context.Session.Manifest.Collection} prints " +
        $"('…/archiver/psbackup-cli archive-log --repository {context.Session.Repository.Location} --collection {context.Session.Manifest.Collection} %p %f')";

    private static PsBackupException BaseBackupFailed(PostgreSqlClusterTarget target, int exitCode, string stderr)
    {
        var message = $"pg_basebackup from {target.Host}:{target.Port} failed (exit code {exitCode}): {stderr.Trim()}";
        if (stderr.Contains("password authentication failed", StringComparison.Ordinal) || stderr.Contains("no password supplied", StringComparison.Ordinal)
            || stderr.Contains("no pg_hba.conf entry", StringComparison.Ordinal) || stderr.Contains("must be superuser or replication", StringComparison.Ordinal))
            return new TargetAuthenticationException(message + " The user needs the REPLICATION attribute and a replication line in pg_hba.conf; give -Credential, PGPASSWORD or .pgpass.");
        if (stderr.Contains("could not connect", StringComparison.Ordinal) || stderr.Contains("Connection refused", StringComparison.Ordinal))
            return new TargetUnavailableException(message);
        return new BackupFailedException(message);
    }

    public override Task<RestoreResult> RestoreAsync(TargetRestoreContext context, CancellationToken ct) =>
        ClusterRestorer.RestoreAsync(context, ct);

    public Task<DrillScratch> CreateScratchAsync(BackupTarget target, DrillSettings settings, CancellationToken ct) => ClusterDrill.CreateAsync(target, settings);

    public Task<IReadOnlyList<DrillCheck>> VerifyAsync(TargetRestoreContext restored, DrillScratch scratch, CancellationToken ct) => ClusterDrill.VerifyAsync(restored, scratch, ct);

    public string DescribeScratch(BackupTarget target, DrillSettings settings) => ClusterDrill.Describe(target, settings);
}
