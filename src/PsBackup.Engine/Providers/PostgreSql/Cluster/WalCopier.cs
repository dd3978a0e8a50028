using System.Runtime.CompilerServices;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers.Capabilities;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers.PostgreSql.Cluster;

/// <summary>
/// Copy-Backup's WAL part: copies the archived files the destination lacks — from the start of the
/// oldest copied backup to the end of the archive, or all of them — with every timeline history
/// file and the expiry record. Per file: the data object's stored bytes verbatim (stored size and
/// SHA-256 checked at the destination, then the plaintext's SHA-256 when it can be read), then
/// the entry's bytes verbatim, created only if absent, so the entry commits the file as
/// archive-wal does and a file already there (an earlier copy, a second archive_command) is left alone.
/// </summary>
internal static class WalCopier
{
    public static async IAsyncEnumerable<ArchivedLogCopy> CopyAsync(CollectionScope source, CollectionScope destination, IReadOnlyList<BackupManifest> backups, bool whole,
        Func<CancellationToken, Task<IAsyncDisposable>> lockDestination, IProgress<BackupProgress>? progress, [EnumeratorCancellation] CancellationToken ct)
    {
        var states = backups.SelectMany(b => b.Targets).Where(t => t.Status == TargetStatus.Complete && ClusterProvider.IsCluster(t))
            .Select(ClusterBackupState.From).ToList();
        if (states.Count == 0 && !whole) yield break;
        var size = states.Select(s => s.WalSegmentSize).DefaultIfEmpty(0).Max();
        var from = whole ? (ulong?)null : states.Min(s => WalFileName.SegmentOf(Lsn.Parse(s.StartLsn), s.WalSegmentSize));

        var sourceArchive = new WalArchive(source.Repository.Store, source.Name);
        var destinationArchive = new WalArchive(destination.Repository.Store, destination.Name);
        var present = (await WalListing.ReadAsync(destination.Repository.Store, destination.Name, ct).ConfigureAwait(false)).Committed;
        var wanted = (await WalListing.ReadAsync(source.Repository.Store, source.Name, ct).ConfigureAwait(false)).Committed
            .Where(n => from == null || WalFileName.IsHistory(n) || WalPosition.Of(n, size) >= from)
            .OrderBy(n => WalFileName.IsHistory(n) ? 0 : 1).ThenBy(n => WalFileName.IsHistory(n) ? n : WalPosition.Key(n), StringComparer.Ordinal).ThenBy(n => n, StringComparer.Ordinal)
            .ToList();

        await CopyExpiryRecordAsync(source, destination, from, size, lockDestination, ct).ConfigureAwait(false);

        var archived = destination.Definition.Storage?.StorageClass is "GLACIER" or "DEEP_ARCHIVE";
        var reporter = new ProgressReporter(progress, $"Copying archived WAL of '{source.Name}' to '{destination.Repository.Location}'", -1);
        var run = new List<(string Name, CopyStatus Status, long Bytes, PsBackupException? Error)>();
        foreach (var name in wanted)
        {
            (CopyStatus Status, long Bytes, PsBackupException? Error) outcome;
            if (present.Contains(name))
                outcome = (CopyStatus.AlreadyPresent, 0, null);
            else
            {
                try
                {
                    var bytes = await CopyFileAsync(sourceArchive, destinationArchive, source, destination, name, archived, reporter, ct).ConfigureAwait(false);
                    outcome = (bytes == null ? CopyStatus.AlreadyPresent : CopyStatus.Copied, bytes ?? 0, null);
                }
                catch (PsBackupException e)
                {
                    outcome = (CopyStatus.Failed, 0, e);
                }
            }
            // One result per stretch of files with the same outcome; every failure is a stretch of its own.
            if (run.Count > 0 && (run[^1].Status != outcome.Status || outcome.Status == CopyStatus.Failed || WalFileName.IsHistory(run[^1].Name) != WalFileName.IsHistory(name)))
            {
                yield return Summarize(run);
                run.Clear();
            }
            run.Add((name, outcome.Status, outcome.Bytes, outcome.Error));
        }
        if (run.Count > 0) yield return Summarize(run);
    }

    /// <summary>Copies one file; the stored bytes it wrote, or null when the destination got the identical file meanwhile.</summary>
    private static async Task<long?> CopyFileAsync(WalArchive sourceArchive, WalArchive destinationArchive, CollectionScope source, CollectionScope destination, string name,
        bool archived, ProgressReporter reporter, CancellationToken ct)
    {
        var (bytes, entry) = await sourceArchive.ReadEntryDocumentAsync(name, ct).ConfigureAwait(false);
        var key = sourceArchive.DataKey(entry);
        var display = $"WAL file '{name}' of collection '{source.Name}'";
        var copied = await StoredObjectCopy.CopyAsync(source.Repository.Store, destination.Repository.Store, key, entry.StoredSize, null, destination.Definition.Storage, archived,
            display, n => reporter.Add(n, name), ct).ConfigureAwait(false);
        try
        {
            // The plaintext too, where it can be read: a source damaged at rest is not copied.
            if (!archived && (!entry.Encrypted || source.Key != null))
            {
                await using var check = await destinationArchive.OpenVerifyingAsync(entry, source.Key, ct).ConfigureAwait(false);
                check.Drain();
            }
        }
        catch (IntegrityException e)
        {
            await destination.Repository.Store.DeleteAsync(key, CancellationToken.None).ConfigureAwait(false);
            throw new IntegrityException($"{display} was not copied: it failed verification at the destination. {e.Message} Run Test-Backup on the source.", e);
        }
        reporter.ItemDone();
        if (await destinationArchive.TryCommitEntryAsync(name, bytes, ct).ConfigureAwait(false))
            return copied ? entry.StoredSize : 0;
        // Committed meanwhile (archive-wal writing to this repository too): identical is fine, and ours is surplus.
        var winner = (await destinationArchive.ReadEntryDocumentAsync(name, ct).ConfigureAwait(false)).Entry;
        if (winner.Path != entry.Path)
            await destination.Repository.Store.DeleteAsync(key, ct).ConfigureAwait(false);
        if (winner.Sha256 != entry.Sha256 || winner.Size != entry.Size)
            throw new WalSegmentConflictException($"WAL file '{name}' exists in collection '{destination.Name}' at '{destination.Repository.Location}' with different content " +
                                                  $"(SHA-256 {winner.Sha256}, the source's is {entry.Sha256}): two clusters archive into collections of one name.");
        return null;
    }

    /// <summary>The source's record of expired WAL, where it concerns what is copied, merged into the destination's (under its lock).</summary>
    private static async Task CopyExpiryRecordAsync(CollectionScope source, CollectionScope destination, ulong? from, long size,
        Func<CancellationToken, Task<IAsyncDisposable>> lockDestination, CancellationToken ct)
    {
        var record = await WalExpiryRecord.ReadAsync(source.Repository.Store, source.Name, ct).ConfigureAwait(false);
        var ranges = record.Ranges.Where(r => from == null || size == 0 || WalFileName.SegmentNumber(r.Last[..24], size) >= from).ToList();
        if (ranges.Count == 0 || size == 0) return;
        await using var held = await lockDestination(ct).ConfigureAwait(false);
        var existing = await WalExpiryRecord.ReadAsync(destination.Repository.Store, destination.Name, ct).ConfigureAwait(false);
        if (ranges.All(r => existing.Covering(r.First) != null && existing.Covering(r.Last) != null)) return;
        await WalExpiryRecord.AddAsync(destination.Repository.Store, destination.Name, ranges.Select(r => (r.First, r.Last)), ranges.Max(r => r.Removed), null, size, ct).ConfigureAwait(false);
    }

    private static ArchivedLogCopy Summarize(List<(string Name, CopyStatus Status, long Bytes, PsBackupException? Error)> run)
    {
        var label = run.Count == 1 ? run[0].Name : $"{run[0].Name}..{run[^1].Name}";
        var status = run[0].Status;
        return new ArchivedLogCopy(label, status, status == CopyStatus.Copied ? run.Count : 0, status == CopyStatus.AlreadyPresent ? run.Count : 0, run.Sum(r => r.Bytes),
            run[0].Error, run[0].Error?.Message);
    }
}
