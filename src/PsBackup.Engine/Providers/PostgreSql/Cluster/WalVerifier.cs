using System.Globalization;
using System.Runtime.CompilerServices;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers.PostgreSql.Cluster;

/// <summary>
/// Test-Backup's WAL part: every segment a backup's recovery reads — along the timeline lineage
/// restores follow, from its base backup's start to the end of the next base backup (where a
/// restore would start from that one instead) or to the end of the archive — plus the lineage's
/// history files, each read back in full and checked against its entry's size and SHA-256.
/// One finding per stretch of files with the same outcome; a corrupt file is a finding of its
/// own. WAL that retention removed on purpose (<see cref="WalExpiryRecord"/>) past the backup's
/// own end is not a gap: the finding before it says the backup restores to its end only.
/// </summary>
internal static class WalVerifier
{
    private sealed record Check(string Name, VerificationStatus Status, long Size, long Stored, string Expected, string? Actual, string? Problem);

    public static async IAsyncEnumerable<ArtifactVerification> VerifyAsync(CollectionScope scope, IReadOnlyList<BackupManifest> chain, TargetRecord target,
        IProgress<BackupProgress>? progress, [EnumeratorCancellation] CancellationToken ct)
    {
        if (ClusterProvider.CompleteRecord(chain[0], target.Name) is not { } baseRecord) yield break;
        var head = chain[^1];
        var @base = ClusterBackupState.From(baseRecord);
        var size = @base.WalSegmentSize;
        var ownEnd = WalNeeds.Stop(ClusterBackupState.From(target));
        var next = (await scope.Repository.ListBackupsAsync(scope.Name, ct).ConfigureAwait(false))
            .Where(b => b.Type == BackupType.Full && (b.StartTime > head.StartTime || (b.StartTime == head.StartTime && string.CompareOrdinal(b.Id, head.Id) > 0)))
            .Select(b => ClusterProvider.CompleteRecord(b, target.Name)).FirstOrDefault(r => r != null);

        var archive = new WalArchive(scope.Repository.Store, scope.Name);
        var listing = await WalListing.ReadAsync(scope.Repository.Store, scope.Name, ct).ConfigureAwait(false);
        var names = listing.Committed;
        var expiry = await WalExpiryRecord.ReadAsync(scope.Repository.Store, scope.Name, ct).ConfigureAwait(false);
        var lineage = await WalChain.LineageAsync(archive, names, @base.StartTimeline, scope.Key, ct).ConfigureAwait(false);
        var first = WalFileName.SegmentOf(Lsn.Parse(@base.StartLsn), size);
        var end = next != null
            ? Math.Max(ownEnd, WalNeeds.Stop(ClusterBackupState.From(next)))
            : names.Where(n => WalFileName.IsSegment(n) && WalFileName.Timeline(n) == lineage.TimelineOf(WalFileName.SegmentNumber(n, size), size))
                .Select(n => WalFileName.SegmentNumber(n, size)).Append(ownEnd).Max();
        var reporter = new ProgressReporter(progress, $"Verifying the archived WAL of backup '{head.Id}'", -1);

        // One finding per stretch of files with the same outcome; a corrupt file, and the history files, stand apart.
        var run = new List<Check>();
        ArtifactVerification? Add(Check check)
        {
            ArtifactVerification? done = null;
            if (run.Count > 0 && (run[^1].Status != check.Status || check.Status == VerificationStatus.Corrupt
                                  || WalFileName.IsHistory(run[^1].Name) != WalFileName.IsHistory(check.Name)))
            {
                done = Finding(head, target, run, null);
                run.Clear();
            }
            run.Add(check);
            return done;
        }

        WalExpiredRange? expired = null;
        foreach (var name in lineage.Timelines.Select(WalFileName.History).Where(names.Contains))
            if (Add(await CheckAsync(archive, listing, scope.Key, name, reporter, ct).ConfigureAwait(false)) is { } finding)
                yield return finding;
        for (var segment = first; segment <= end; segment++)
        {
            var name = WalFileName.Segment(lineage.TimelineOf(segment, size), segment, size);
            if (!names.Contains(name) && segment > ownEnd && expiry.Covering(name) is { } range)
            {
                expired = range; // the backup's recovery window ends here on purpose
                break;
            }
            var check = names.Contains(name)
                ? await CheckAsync(archive, listing, scope.Key, name, reporter, ct).ConfigureAwait(false)
                : new Check(name, VerificationStatus.Missing, 0, 0, "", null, "not in the repository");
            if (Add(check) is { } finding)
                yield return finding;
        }
        if (run.Count > 0)
            yield return Finding(head, target, run, expired);
    }

    private static async Task<Check> CheckAsync(WalArchive archive, WalListing listing, byte[]? key, string name, ProgressReporter reporter, CancellationToken ct)
    {
        WalEntry? entry = null;
        try
        {
            entry = await archive.ReadEntryAsync(name, ct).ConfigureAwait(false);
            // The stored object first (what Copy-Backup copies): bytes appended after a compressed stream would not show in the plaintext.
            var dataKey = archive.DataKey(entry);
            if (listing.Files[name].Data.FirstOrDefault(d => d.Key == dataKey) is { } stored && stored.Size != entry.StoredSize)
                throw new IntegrityException($"WAL file '{name}' is corrupt: its stored object holds {stored.Size} bytes; its entry records {entry.StoredSize}.");
            await using var stream = await archive.OpenVerifyingAsync(entry, key, ct).ConfigureAwait(false);
            var buffer = new byte[1 << 17];
            int n;
            while ((n = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                reporter.Add(n, name);
            reporter.ItemDone();
            return new Check(name, VerificationStatus.Ok, entry.Size, entry.StoredSize, entry.Sha256, stream.ActualSha256, null);
        }
        catch (WalSegmentMissingException e)
        {
            return new Check(name, VerificationStatus.Missing, entry?.Size ?? 0, entry?.StoredSize ?? 0, entry?.Sha256 ?? "", null, e.Message);
        }
        catch (PsBackupException e) when (e is IntegrityException or RepositoryFormatException or DocumentCorruptException)
        {
            return new Check(name, VerificationStatus.Corrupt, entry?.Size ?? 0, entry?.StoredSize ?? 0, entry?.Sha256 ?? "", null, e.Message);
        }
    }

    private static ArtifactVerification Finding(BackupManifest head, TargetRecord target, List<Check> run, WalExpiredRange? expiredAfter)
    {
        var label = run.Count == 1 ? run[0].Name : $"{run[0].Name}..{run[^1].Name}";
        var count = run.Count.ToString(CultureInfo.InvariantCulture);
        var message = run[0].Status switch
        {
            VerificationStatus.Ok => $"{count} WAL file(s): size and SHA-256 verified",
            VerificationStatus.Missing => $"{count} WAL file(s) missing: {run[0].Problem}",
            _ => run[0].Problem,
        };
        if (expiredAfter != null)
            message += $"; the WAL after it ({expiredAfter.First} to {expiredAfter.Last}) was removed by retention on " +
                       $"{expiredAfter.Removed.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)}Z, so this backup restores to its own end, not to later moments";
        return new ArtifactVerification
        {
            BackupId = head.Id,
            Collection = head.Collection,
            Target = target.Name,
            Artifact = "wal/" + label,
            Status = run[0].Status,
            SizeBytes = run.Sum(c => c.Size),
            StoredBytes = run.Sum(c => c.Stored),
            ExpectedSha256 = run.Count == 1 ? run[0].Expected : "",
            ActualSha256 = run.Count == 1 ? run[0].Actual : null,
            Message = message,
        };
    }
}
