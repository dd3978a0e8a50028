using System.Runtime.CompilerServices;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Operations;

/// <summary>
/// Test-Backup: re-reads every artifact of a backup and of the backups it needs, decrypting,
/// decompressing and hashing each through the same verified read as restores
/// (<see cref="ArtifactReader"/>), and reports one finding per artifact. Damage never stops it:
/// a damaged artifact is a Corrupt finding and the others are still read; a damaged manifest,
/// labels document or chain is a Corrupt (or Missing) finding for that document. Then, for kinds
/// with <see cref="Providers.Capabilities.IArchivedLogVerification"/>, the archived log it needs.
/// </summary>
internal static class BackupVerifier
{
    public static async IAsyncEnumerable<ArtifactVerification> RunAsync(VerifyRequest request, IProgress<BackupProgress>? progress, [EnumeratorCancellation] CancellationToken ct)
    {
        OpenedBackup? opened = null;
        ArtifactVerification? damaged = null;
        try
        {
            opened = await OpenedBackup.OpenAsync(request.Repository, request.Collection, request.Id, request.Passphrase, ct).ConfigureAwait(false);
        }
        catch (PsBackupException e) when (e is DocumentCorruptException or ChainBrokenException)
        {
            var id = e.TargetObject as string ?? request.Id;
            damaged = DocumentFinding(request, request.Collection ?? "", id, RepositoryKeys.ManifestName,
                e is ChainBrokenException { MissingBackupId: not null } ? VerificationStatus.Missing : VerificationStatus.Corrupt, e.Message);
        }
        if (damaged != null)
        {
            yield return damaged;
            yield break;
        }

        using var openedBackup = opened!;
        var (repository, _, chain, reader) = openedBackup;
        var artifacts = chain.SelectMany(m => m.Targets.Where(t => t.Status == TargetStatus.Complete)
            .SelectMany(t => t.Artifacts.Select(a => (Backup: m, Target: t, Artifact: a)))).ToList();
        var reporter = new ProgressReporter(progress, $"Verifying backup '{request.Id}'", artifacts.Sum(a => a.Artifact.Size), artifacts.Count);

        foreach (var (backup, target, artifact) in artifacts)
        {
            var finding = new ArtifactVerification
            {
                BackupId = request.Id,
                ArtifactBackupId = backup.Id,
                Collection = backup.Collection,
                Target = target.Name,
                Artifact = artifact.Path,
                SizeBytes = artifact.Size,
                StoredBytes = artifact.StoredSize,
                ExpectedSha256 = artifact.Sha256,
            };
            try
            {
                await using var stream = await reader.OpenVerifyingAsync(backup, target, artifact, ct).ConfigureAwait(false);
                var buffer = new byte[1 << 17];
                int n;
                while ((n = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                    reporter.Add(n, $"{backup.Id}/{artifact.Path}");
                reporter.ItemDone($"{backup.Id}/{artifact.Path}");
                finding.ActualSha256 = stream.ActualSha256;
                finding.Status = VerificationStatus.Ok;
            }
            catch (ArtifactMissingException e)
            {
                finding.Status = VerificationStatus.Missing;
                finding.Message = e.Message;
            }
            catch (IntegrityException e)
            {
                finding.Status = VerificationStatus.Corrupt;
                finding.Message = e.Message;
            }
            yield return finding;
        }

        // Labels decide what retention keeps: a damaged labels document is damage too.
        foreach (var backup in chain)
        {
            string? problem = null;
            try
            {
                // A HEAD first: most backups have no labels, and a GET of an absent object costs an error response.
                if (await repository.Store.StatAsync(RepositoryKeys.Labels(backup.Collection, backup.Id), ct).ConfigureAwait(false) != null)
                    await repository.ReadLabelsAsync(backup.Collection, backup.Id, ct).ConfigureAwait(false);
            }
            catch (DocumentCorruptException e)
            {
                problem = e.Message;
            }
            if (problem != null)
                yield return DocumentFinding(request, backup.Collection, backup.Id, RepositoryKeys.LabelsName, VerificationStatus.Corrupt, problem);
        }

        // And the continuously archived log the backup needs, for kinds that keep one.
        var scope = new Providers.CollectionScope(repository, openedBackup.Definition, reader.Key);
        foreach (var target in openedBackup.Head.Targets.Where(t => t.Status == TargetStatus.Complete))
            if (Providers.EngineKinds.TryFind(target.Kind, out var kind) && kind is Providers.Capabilities.IArchivedLogVerification log)
                await foreach (var finding in log.VerifyLogAsync(scope, chain, target, progress, ct).ConfigureAwait(false))
                    yield return finding;
        reporter.Complete();
    }

    /// <summary>The first artifact of a target's chain that fails verification (missing or corrupt); null when all verify.</summary>
    public static async Task<PsBackupException?> FirstDamageAsync(OpenedBackup backup, string target, CancellationToken ct)
    {
        foreach (var manifest in backup.Chain)
            foreach (var record in manifest.Targets.Where(t => t.Name == target && t.Status == TargetStatus.Complete))
                foreach (var artifact in record.Artifacts)
                {
                    try
                    {
                        await using var stream = await backup.Reader.OpenVerifyingAsync(manifest, record, artifact, ct).ConfigureAwait(false);
                        stream.Drain();
                    }
                    catch (PsBackupException e) when (e is IntegrityException or ArtifactMissingException)
                    {
                        return e;
                    }
                }
        return null;
    }

    private static ArtifactVerification DocumentFinding(VerifyRequest request, string collection, string backupId, string document, VerificationStatus status, string message) => new()
    {
        BackupId = request.Id,
        ArtifactBackupId = backupId,
        Collection = collection,
        Target = "",
        Artifact = document,
        Status = status,
        Message = message,
    };
}
