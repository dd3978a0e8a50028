using System.Runtime.CompilerServices;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Operations;

/// <summary>
/// Test-Backup: re-reads every artifact of a backup and of the backups it needs, decrypting,
/// decompressing and hashing each, and reports one finding per artifact; then, for kinds with
/// <see cref="Providers.Capabilities.IArchivedLogVerification"/>, the archived log it needs.
/// </summary>
internal static class BackupVerifier
{
    public static async IAsyncEnumerable<ArtifactVerification> RunAsync(VerifyRequest request, IProgress<BackupProgress>? progress, [EnumeratorCancellation] CancellationToken ct)
    {
        using var opened = await OpenedBackup.OpenAsync(request.Repository, request.Collection, request.Id, request.Passphrase, ct).ConfigureAwait(false);
        var (repository, reader) = (opened.Repository, opened.Reader);
        var artifacts = opened.Chain.SelectMany(m => m.Targets.Where(t => t.Status == TargetStatus.Complete)
            .SelectMany(t => t.Artifacts.Select(a => (Backup: m, Target: t, Artifact: a)))).ToList();
        var reporter = new ProgressReporter(progress, $"Verifying backup '{request.Id}'", artifacts.Sum(a => a.Artifact.Size));

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
                var stored = await repository.Store.StatAsync(RepositoryKeys.Artifact(backup.Collection, backup.Id, artifact.Path), ct).ConfigureAwait(false);
                if (stored == null)
                    throw new ArtifactMissingException("The artifact is missing from the repository.");
                if (stored.Size != artifact.StoredSize)
                    throw new IntegrityException($"Stored size is {stored.Size} bytes; the manifest records {artifact.StoredSize}.");
                await using var stream = await reader.OpenVerifyingAsync(backup, target, artifact, ct).ConfigureAwait(false);
                var buffer = new byte[1 << 17];
                int n;
                while ((n = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                    reporter.Add(n, $"{backup.Id}/{artifact.Path}");
                reporter.ItemDone();
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

        // And the continuously archived log the backup needs, for kinds that keep one.
        var scope = new Providers.CollectionScope(repository, opened.Definition, reader.Key);
        foreach (var target in opened.Head.Targets.Where(t => t.Status == TargetStatus.Complete))
            if (Providers.EngineKinds.TryFind(target.Kind, out var kind) && kind is Providers.Capabilities.IArchivedLogVerification log)
                await foreach (var finding in log.VerifyLogAsync(scope, opened.Chain, target, progress, ct).ConfigureAwait(false))
                    yield return finding;
    }
}
