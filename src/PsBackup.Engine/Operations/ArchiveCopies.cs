using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers;
using PsBackup.Engine.Providers.Capabilities;
using PsBackup.Engine.Repository;
using PsBackup.Engine.Storage;

namespace PsBackup.Engine.Operations;

/// <summary>
/// The archive command's copies (psbackup-cli with --repository A --repository B): once
/// the file is stored in the collection's repository, each further repository gets it too, so a
/// disaster-recovery copy's log is as current as the primary's. The server retries its archive
/// command until it succeeds and keeps the files meanwhile, so a copy repository that is down must
/// not stop archiving for good: each copy has <see cref="ArchiveLogRequest.CopyTimeout"/>, and a
/// failed copy asks for a retry only while the file is younger than <see cref="ArchiveLogRequest.CopyGrace"/>;
/// after that it is skipped (reported), and Copy-Backup -ArchivedLogOnly fills the gap later.
/// </summary>
internal static class ArchiveCopies
{
    public static async Task<List<ArchiveCopyOutcome>> StoreAsync(IPointInTimeRecovery kind, ArchiveLogRequest request, BackupRepository repository,
        CollectionDefinition definition, byte[]? key, CancellationToken ct)
    {
        var outcomes = new List<ArchiveCopyOutcome>();
        if (request.Copies.Count == 0) return outcomes;
        var definitionBytes = await repository.Store.ReadAllBytesAsync(RepositoryKeys.Definition(definition.Name), ct).ConfigureAwait(false);
        foreach (var copy in request.Copies)
            outcomes.Add(await StoreOneAsync(kind, request, copy, definition, definitionBytes, key, ct).ConfigureAwait(false));
        return outcomes;
    }

    private static async Task<ArchiveCopyOutcome> StoreOneAsync(IPointInTimeRecovery kind, ArchiveLogRequest request, RepositoryAddress copy,
        CollectionDefinition definition, byte[] definitionBytes, byte[]? key, CancellationToken ct)
    {
        var where = copy.ToString();
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        budget.CancelAfter(request.CopyTimeout);
        try
        {
            using var destination = await BackupRepository.OpenAsync(RepositoryLocation.OpenStore(copy), create: true, budget.Token).ConfigureAwait(false);
            // The same collection (definition copied verbatim when absent, as Copy-Backup does): same key, same targets.
            var copyDefinition = await BackupCopier.EnsureCollectionAsync(destination, definition, definitionBytes, budget.Token).ConfigureAwait(false);
            var stored = await kind.ArchiveLogAsync(new CollectionScope(destination, copyDefinition, key), request.File, request.Name, budget.Token).ConfigureAwait(false);
            return new ArchiveCopyOutcome(where, stored ? ArchiveCopyStatus.Stored : ArchiveCopyStatus.AlreadyStored, null);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            var error = e is OperationCanceledException
                ? new CopyFailedException($"Repository '{where}' did not store '{request.Name}' within {request.CopyTimeout.TotalSeconds:0} s.", e)
                : Failures.Of(e, request.Name, OperationKind.Copy);
            var age = DateTime.UtcNow - File.GetLastWriteTimeUtc(request.File);
            return new ArchiveCopyOutcome(where, age < request.CopyGrace ? ArchiveCopyStatus.RetryLater : ArchiveCopyStatus.Skipped, error);
        }
    }
}
