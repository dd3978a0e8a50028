using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Repository;

/// <summary>
/// collections/&lt;c&gt;/committed.json: the ids of the collection's committed backups, so that a
/// reader on a disk can tell them from one names-only listing of backups/ instead of one manifest
/// check per folder (Export-BackupMetrics over 1,000s of backups). Only a hint, never the truth:
/// the folders still come from the listing, a listed folder the index does not name gets its
/// manifest checked (a commit whose index update was cut off, a writer older than the index), an
/// entry whose folder is gone is ignored, and an index that is absent, damaged, edited (digest),
/// of another collection or of a newer version is not used at all. Written under the collection's
/// lock: after a manifest is committed, before a manifest is deleted (docs/design.md, "Committed
/// backups index").
/// </summary>
internal static class CommittedIndex
{
    public const string FormatName = "psbackup-committed";
    public static readonly DocumentType Type = new("Committed backups index", FormatName, 1, 1);

    /// <summary>The document as stored.</summary>
    public sealed class Document
    {
        public string Format { get; set; } = FormatName;
        public int Version { get; set; } = 1;
        public string Collection { get; set; } = "";

        /// <summary>Ids of committed backups, in ordinal order.</summary>
        public List<string> Backups { get; set; } = [];
    }

    /// <summary>The ids the index names; null when there is no index this version can trust (then every folder is checked).</summary>
    public static async Task<HashSet<string>?> TryReadAsync(BackupRepository repository, string collection, CancellationToken ct)
    {
        var key = RepositoryKeys.CommittedIndex(collection);
        try
        {
            var bytes = await RepositoryDocuments.ReadBytesAsync(repository.Store, key, ct).ConfigureAwait(false);
            var document = RepositoryDocuments.Read<Document>(bytes, Type, "Committed backups index", $"{repository.Location}/{key}").Value;
            if (document.Collection != collection || document.Backups == null)
                return null;
            // Entries are not validated one by one: only a listed folder with a valid id ever counts.
            return document.Backups.Where(id => id != null).ToHashSet(StringComparer.Ordinal);
        }
        catch (Exception e) when (e is ObjectNotFoundException or DocumentCorruptException or RepositoryFormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// Records a backup just committed. On a store with folders the index is rebuilt from the truth,
    /// one manifest check per folder (cheap for one writer; it also drops any entry a writer older
    /// than the index left stale); on S3, where readers count from the listing anyway, the index as it
    /// stands (or the listing) plus <paramref name="id"/>. Best effort: the commit stands whatever
    /// happens here, and an id the index misses only costs readers one check.
    /// </summary>
    public static async Task AddAsync(BackupRepository repository, string collection, string id, CancellationToken ct)
    {
        try
        {
            var store = repository.Store;
            var prefix = RepositoryKeys.Backups(collection);
            var ids = await store.ListFolderNamesAsync(prefix, ct).ConfigureAwait(false) == null
                ? await TryReadAsync(repository, collection, ct).ConfigureAwait(false)
                : null;
            ids ??= [.. await store.ListFoldersHoldingAsync(prefix, RepositoryKeys.ManifestName, ct).ConfigureAwait(false)];
            ids.Add(id);
            await WriteAsync(repository, collection, ids, ct).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // See summary. Cancellation included: the backup is committed, and callers must not take it for a failed commit.
        }
    }

    /// <summary>
    /// Takes <paramref name="id"/> out of the index before its manifest is deleted, so no
    /// interruption of the deletion leaves an entry naming a folder without a manifest. An index
    /// this version cannot read is deleted instead (readers then check every folder). Throws when
    /// the index cannot be updated: the deletion must not go ahead then.
    /// </summary>
    public static async Task RemoveAsync(BackupRepository repository, string collection, string id, CancellationToken ct)
    {
        var key = RepositoryKeys.CommittedIndex(collection);
        if (await repository.Store.StatAsync(key, ct).ConfigureAwait(false) == null)
            return;
        var ids = await TryReadAsync(repository, collection, ct).ConfigureAwait(false);
        if (ids == null)
            await repository.Store.DeleteAsync(key, ct).ConfigureAwait(false);
        else if (ids.Remove(id))
            await WriteAsync(repository, collection, ids, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The ids of the committed backups, in ordinal order: on a store with folders, the listed
    /// folders the index names plus those whose manifest exists; on S3, the folders one listing
    /// shows holding a manifest (<see cref="Storage.IObjectStore.ListFoldersHoldingAsync"/>).
    /// </summary>
    public static async Task<List<string>> ListCommittedAsync(BackupRepository repository, string collection, CancellationToken ct)
    {
        var store = repository.Store;
        var prefix = RepositoryKeys.Backups(collection);
        var folders = await store.ListFolderNamesAsync(prefix, ct).ConfigureAwait(false);
        if (folders == null)
            return [.. (await store.ListFoldersHoldingAsync(prefix, RepositoryKeys.ManifestName, ct).ConfigureAwait(false)).Where(BackupId.IsValid)];
        var index = await TryReadAsync(repository, collection, ct).ConfigureAwait(false);
        var committed = new List<string>(folders.Count);
        foreach (var folder in folders)
            if (BackupId.IsValid(folder)
                && (index?.Contains(folder) == true
                    || await store.StatAsync(RepositoryKeys.Manifest(collection, folder), ct).ConfigureAwait(false) != null))
                committed.Add(folder);
        return committed;
    }

    private static Task WriteAsync(BackupRepository repository, string collection, HashSet<string> ids, CancellationToken ct)
    {
        var document = new Document { Collection = collection, Backups = [.. ids.Order(StringComparer.Ordinal)] };
        return Storage.ObjectStoreExtensions.PutAsync(repository.Store, RepositoryKeys.CommittedIndex(collection), RepositoryDocuments.ToBytes(document, Type), ct);
    }
}
