using System.Diagnostics;
using System.Runtime.CompilerServices;
using Newtonsoft.Json.Linq;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;
using PsBackup.Engine.Storage;

namespace PsBackup.Engine.Operations;

/// <summary>
/// Copy-Backup: copies committed backups of a collection to another repository, oldest first
/// (parents before children), only what the destination lacks. Each artifact's stored bytes are
/// copied verbatim (no re-encryption, no re-compression), then re-read at the destination and
/// checked against the source's stored size and SHA-256 — and, when the plaintext can be read
/// (unencrypted, or a passphrase given), against the manifest's plaintext SHA-256. The manifest
/// is written last, under the destination collection's lock. A failed backup fails its
/// descendants too; artifacts already at the destination (an interrupted run) are not copied again.
/// </summary>
internal sealed class BackupCopier(EngineOptions options)
{

    public async IAsyncEnumerable<CopyOutcome> RunAsync(CopyRequest request, IProgress<BackupProgress>? progress, [EnumeratorCancellation] CancellationToken ct)
    {
        Names.Validate(request.Collection, "Collection");
        if (request.Id != null) BackupId.Validate(request.Id);

        using var source = await CollectionAccess.OpenRepositoryAsync(request.Source, ct).ConfigureAwait(false);
        var definition = await source.GetCollectionAsync(request.Collection, ct).ConfigureAwait(false);
        var definitionBytes = await source.Store.ReadAllBytesAsync(RepositoryKeys.Definition(definition.Name), ct).ConfigureAwait(false);
        var key = CollectionAccess.UnlockKey(definition, request.Passphrase, required: false); // copying needs no key; verifying plaintext does
        var backups = request.ArchivedLogOnly ? []
            : request.Id != null
            ? await CollectionAccess.ResolveChainAsync(source, definition.Name, request.Id, ct).ConfigureAwait(false)
            : await source.ListBackupsAsync(definition.Name, ct).ConfigureAwait(false);
        CollectionAccess.CheckManifests(definition, backups, key);

        using var destination = await BackupRepository.OpenAsync(RepositoryLocation.OpenStore(request.Destination), create: true, ct).ConfigureAwait(false);
        var destinationDefinition = await EnsureCollectionAsync(destination, definition, definitionBytes, ct).ConfigureAwait(false);
        var destinationReader = new ArtifactReader(destination, key);

        var reporter = new ProgressReporter(progress, $"Copying backups of '{definition.Name}' to '{destination.Location}'",
            backups.SelectMany(m => m.Targets).SelectMany(t => t.Artifacts).Sum(a => a.StoredSize), backups.SelectMany(m => m.Targets).Sum(t => t.Artifacts.Count));
        var failed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var manifest in backups)
        {
            var clock = Stopwatch.StartNew();
            PsBackupException? error = null;
            var result = new CopyResult
            {
                BackupId = manifest.Id,
                Collection = manifest.Collection,
                SourceRepository = source.Location,
                DestinationRepository = destination.Location,
                Type = manifest.Type,
            };
            if (manifest.Parent != null && failed.Contains(manifest.Parent))
            {
                error = new CopyFailedException($"Backup '{manifest.Id}' was not copied: its parent backup '{manifest.Parent}' could not be copied.");
                result.Status = CopyStatus.Failed;
                result.Message = error.Message;
            }
            else if (await destination.Store.StatAsync(RepositoryKeys.Manifest(manifest.Collection, manifest.Id), ct).ConfigureAwait(false) != null)
            {
                result.Status = CopyStatus.AlreadyPresent;
                reporter.Add(manifest.Targets.SelectMany(t => t.Artifacts).Sum(x => x.StoredSize), manifest.Id);
            }
            else
            {
                try
                {
                    await CopyOneAsync(source, destination, destinationDefinition.Storage, destinationReader, manifest, key != null || !manifest.Encrypted, result, reporter, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    error = Failures.Of(e, manifest.Id, OperationKind.Copy);
                    result.Status = CopyStatus.Failed;
                    result.Message = error.Message;
                }
            }
            if (result.Status == CopyStatus.Failed)
                failed.Add(manifest.Id);
            result.Duration = clock.Elapsed;
            yield return new CopyOutcome(result, error);
        }
        // Then the archived log the copied backups need (or all of it), for kinds that keep one.
        await foreach (var outcome in LogCopy.RunAsync(source, definition, key, destination, destinationDefinition, backups,
                           request.AllArchivedLog || request.ArchivedLogOnly, options.LockLease, progress, ct).ConfigureAwait(false))
            yield return outcome;
    }

    /// <summary>Copies the definition verbatim when the destination lacks the collection; otherwise insists it is the same collection.</summary>
    internal static async Task<CollectionDefinition> EnsureCollectionAsync(BackupRepository destination, CollectionDefinition definition, byte[] definitionBytes, CancellationToken ct)
    {
        if (await destination.Store.TryCreateAsync(RepositoryKeys.Definition(definition.Name), definitionBytes, ct).ConfigureAwait(false))
            return definition;
        var existing = await destination.GetCollectionAsync(definition.Name, ct).ConfigureAwait(false);
        string? difference = null;
        if (!JToken.DeepEquals(existing.Targets, definition.Targets))
            difference = "its targets differ";
        else if ((existing.Encryption == null) != (definition.Encryption == null))
            difference = definition.Encryption != null ? "the source collection is encrypted and the destination's is not" : "the destination collection is encrypted and the source's is not";
        else if (existing.Encryption != null && (existing.Encryption.WrappedKey != definition.Encryption!.WrappedKey || existing.Encryption.Salt != definition.Encryption.Salt))
            difference = "its encryption key (or passphrase wrapping) differs";
        if (difference != null)
            throw new CollectionMismatchException(
                $"Repository '{destination.Location}' already has a collection '{definition.Name}' that is not the source's: {difference}. " +
                "Copy into another repository, or remove that collection there first (Remove-BackupCollection).")
            { TargetObject = definition.Name };
        return existing;
    }

    private async Task CopyOneAsync(BackupRepository source, BackupRepository destination, ObjectWriteSettings? storage, ArtifactReader destinationReader, BackupManifest manifest,
        bool verifyPlaintext, CopyResult result, ProgressReporter reporter, CancellationToken ct)
    {
        await using var collectionLock = await CollectionLock.AcquireAsync(destination.Store, manifest.Collection, "Copy-Backup", options.LockLease, ct).ConfigureAwait(false);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, collectionLock.Lost);
        var token = linked.Token;
        try
        {
            // Another copy may have committed it before we took the lock: checked again under the lock.
            if (await destination.Store.StatAsync(RepositoryKeys.Manifest(manifest.Collection, manifest.Id), token).ConfigureAwait(false) != null)
            {
                result.Status = CopyStatus.AlreadyPresent;
                return;
            }
            if (manifest.Parent != null && await destination.Store.StatAsync(RepositoryKeys.Manifest(manifest.Collection, manifest.Parent), token).ConfigureAwait(false) == null)
                throw new IntegrityException($"Backup '{manifest.Id}' was not copied: its parent backup '{manifest.Parent}' is not in the destination repository (copy the whole chain).");

            // Objects in an archive storage class cannot be read back at once: there only their size is checked.
            var archived = storage?.StorageClass is "GLACIER" or "DEEP_ARCHIVE";
            foreach (var target in manifest.Targets.Where(t => t.Status == TargetStatus.Complete))
                foreach (var artifact in target.Artifacts)
                {
                    var objectKey = RepositoryKeys.Artifact(manifest.Collection, manifest.Id, artifact.Path);
                    try
                    {
                        await CopyArtifactAsync(source.Store, destination.Store, storage, archived, objectKey, manifest, artifact, result, reporter, token).ConfigureAwait(false);
                        if (verifyPlaintext && !archived)
                        {
                            await using var stream = await destinationReader.OpenVerifyingAsync(manifest, target, artifact, token).ConfigureAwait(false);
                            stream.Drain();
                        }
                    }
                    catch (IntegrityException e)
                    {
                        // The source itself is damaged: a re-run would fail the same way, so nothing of this backup is kept.
                        await destination.DiscardUncommittedAsync(manifest.Collection, manifest.Id).ConfigureAwait(false);
                        throw new IntegrityException($"Backup '{manifest.Id}' was not copied: source artifact '{artifact.Path}' failed verification at the destination. {e.Message} " +
                                                     "Run Test-Backup on the source.", e);
                    }
                }

            await collectionLock.EnsureHeldAsync(token).ConfigureAwait(false);
            // Verbatim, so its digest (and an encrypted collection's MAC) holds at the destination too.
            var manifestBytes = await source.ReadManifestBytesAsync(manifest.Collection, manifest.Id, token).ConfigureAwait(false);
            await destination.CommitManifestBytesAsync(manifest.Collection, manifest.Id, manifestBytes, token).ConfigureAwait(false);
            result.Status = CopyStatus.Copied;
            if (archived)
                result.Message = $"Stored in {storage!.StorageClass}: the copies were checked by size only (they cannot be read back before an S3 restore).";
        }
        catch (OperationCanceledException) when (collectionLock.Lost.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new LockLostException($"Collection '{manifest.Collection}' at '{destination.Location}': the lock was taken over during the copy; backup '{manifest.Id}' was not committed.");
        }
    }

    /// <summary>One artifact's stored bytes, verbatim and checked (<see cref="StoredObjectCopy"/>); one already there intact is kept.</summary>
    private static async Task CopyArtifactAsync(IObjectStore source, IObjectStore destination, ObjectWriteSettings? storage, bool archived, string objectKey, BackupManifest manifest, ArtifactRecord artifact,
        CopyResult result, ProgressReporter reporter, CancellationToken ct)
    {
        var item = $"{manifest.Id}/{artifact.Path}";
        var copied = await StoredObjectCopy.CopyAsync(source, destination, objectKey, artifact.StoredSize, artifact.StoredSha256, storage, archived,
            $"artifact '{artifact.Path}' of backup '{manifest.Id}'", n => reporter.Add(n, item), ct).ConfigureAwait(false);
        if (copied)
        {
            result.ArtifactsCopied++;
            result.BytesCopied += artifact.StoredSize;
        }
        else
        {
            result.ArtifactsSkipped++;
            reporter.Add(artifact.StoredSize, item);
        }
        reporter.ItemDone();
    }
}
