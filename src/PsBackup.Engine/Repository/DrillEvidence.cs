using PsBackup.Engine.Errors;
using PsBackup.Engine.Storage;

namespace PsBackup.Engine.Repository;

/// <summary>
/// The drill records of a repository (collections/&lt;c&gt;/drills/&lt;backup id&gt;/&lt;drill id&gt;.json):
/// written once each, atomically, with a digest; listed by key without reading them; read through
/// the one document check. Readers take no lock, and neither does a drill: its record has a key of
/// its own, and a record whose backup is gone is deleted by the next retention run.
/// </summary>
internal static class DrillEvidence
{
    /// <summary>Where one record is: its backup and its drill id.</summary>
    public sealed record Key(string Collection, string Backup, string DrillId)
    {
        public string ObjectKey => RepositoryKeys.Drill(Collection, Backup, DrillId);
    }

    public static Task WriteAsync(BackupRepository repository, DrillRecord record, CancellationToken ct) =>
        repository.Store.PutAsync(RepositoryKeys.Drill(record.Collection, record.Backup, record.Id),
            RepositoryDocuments.ToBytes(record, DrillRecord.DocumentType), ct);

    /// <summary>Every record of a collection by key, oldest first per backup; keys that are not PsBackup's are ignored.</summary>
    public static async Task<List<Key>> ListAsync(BackupRepository repository, string collection, CancellationToken ct)
    {
        var prefix = RepositoryKeys.Drills(collection);
        var keys = new List<Key>();
        await foreach (var entry in repository.Store.ListAsync(prefix, ct).ConfigureAwait(false))
        {
            var parts = entry.Key[prefix.Length..].Split('/');
            if (parts.Length == 2 && BackupId.IsValid(parts[0]) && parts[1].EndsWith(".json", StringComparison.Ordinal)
                && DrillRecord.IsValidId(parts[1][..^5]))
                keys.Add(new Key(collection, parts[0], parts[1][..^5]));
        }
        keys.Sort((a, b) => string.CompareOrdinal(a.DrillId, b.DrillId) is var c and not 0 ? c : string.CompareOrdinal(a.Backup, b.Backup));
        return keys;
    }

    /// <summary>One record, checked (format, version, digest, content); <see cref="DocumentCorruptException"/> when it fails.</summary>
    public static async Task<DrillRecord> ReadAsync(BackupRepository repository, Key key, CancellationToken ct)
    {
        var location = $"{repository.Location}/{key.ObjectKey}";
        byte[] bytes;
        try
        {
            bytes = await RepositoryDocuments.ReadBytesAsync(repository.Store, key.ObjectKey, ct).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            throw new BackupNotFoundException($"Drill record '{key.DrillId}' of backup '{key.Backup}' no longer exists (retention deleted it meanwhile).") { TargetObject = key.DrillId };
        }
        var record = RepositoryDocuments.Read<DrillRecord>(bytes, DrillRecord.DocumentType, "Drill record", location).Value;
        record.Validate(key.Collection, key.Backup, key.DrillId, location);
        return record;
    }

    /// <summary>Deletes every record of one backup (retention, with or after the backup itself).</summary>
    public static Task DeleteAsync(BackupRepository repository, string collection, string backup, CancellationToken ct) =>
        repository.Store.DeletePrefixAsync(RepositoryKeys.Drills(collection, backup), ct);
}
