using PsBackup.Engine.Crypto;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Operations;

/// <summary>Opening a repository and a collection in it, unlocking its key, and describing it to the pipeline.</summary>
internal static class CollectionAccess
{
    public static Task<BackupRepository> OpenRepositoryAsync(RepositoryAddress? repository, CancellationToken ct) =>
        BackupRepository.OpenAsync(RepositoryLocation.OpenStore(repository), create: false, ct);

    /// <summary>
    /// The collection's data key (passphrase given, else $env:PSBACKUP_PASSPHRASE); null when it is
    /// not encrypted, or when no passphrase is at hand and <paramref name="required"/> is false.
    /// </summary>
    public static byte[]? UnlockKey(CollectionDefinition definition, string? passphrase, bool required = true)
    {
        if (definition.Encryption == null) return null;
        passphrase ??= Environment.GetEnvironmentVariable(EngineOptions.PassphraseVariable);
        if (string.IsNullOrEmpty(passphrase))
            return required ? throw new PassphraseRequiredException(definition.Name) { TargetObject = definition.Name } : null;
        return KeyWrapping.Unwrap(definition.Encryption, passphrase, definition.Name);
    }

    public static BackupCollectionInfo Describe(CollectionDefinition definition, BackupRepository repository) => new()
    {
        Name = definition.Name,
        Repository = repository.Location,
        Targets = definition.Targets.Cast<Newtonsoft.Json.Linq.JObject>().Select(t => TargetSerializer.FromJson(t, definition.Name)).ToArray(),
        IncrementalBackupEnabled = definition.IncrementalBackupEnabled,
        Compression = definition.Compression,
        Encrypted = definition.Encryption != null,
        StorageClass = definition.Storage?.StorageClass,
        ServerSideEncryption = definition.Storage?.ServerSideEncryption,
        Created = definition.Created,
        RetentionPolicy = definition.Retention == null ? null : Retention.RetentionPolicyJson.FromJson(definition.Retention, definition.Name, strict: false),
    };

    public static BackupInfo Describe(BackupManifest manifest, BackupRepository repository, DateTimeOffset now, BackupLabels? labels = null) => new()
    {
        Id = manifest.Id,
        Collection = manifest.Collection,
        Repository = repository.Location,
        Type = manifest.Type,
        StartTime = manifest.StartTime,
        EndTime = manifest.EndTime,
        Age = now - manifest.EndTime,
        ParentId = manifest.Parent,
        TargetCount = manifest.Targets.Count,
        FailedTargetCount = manifest.Targets.Count(t => t.Status == TargetStatus.Failed),
        SizeBytes = manifest.Targets.SelectMany(t => t.Artifacts).Sum(a => a.Size),
        StoredBytes = manifest.Targets.SelectMany(t => t.Artifacts).Sum(a => a.StoredSize),
        Status = manifest.Status,
        Encrypted = manifest.Encrypted,
        Compression = manifest.Compression,
        Pinned = labels?.Pinned ?? false,
        Tags = labels == null ? [] : [.. labels.Tags],
    };

    /// <summary>A backup that failed its checks, as far as it can be told: what its id says, and its manifest when only its labels are damaged.</summary>
    public static BackupInfo Describe(DamagedBackup damaged, BackupRepository repository, DateTimeOffset now)
    {
        var info = damaged.Manifest != null
            ? Describe(damaged.Manifest, repository, now)
            : new BackupInfo
            {
                Id = damaged.Id,
                Collection = damaged.Collection,
                Repository = repository.Location,
                Type = BackupId.TypeOf(damaged.Id),
                StartTime = BackupId.TimeOf(damaged.Id),
                EndTime = BackupId.TimeOf(damaged.Id),
                Age = now - BackupId.TimeOf(damaged.Id),
                StoredBytes = damaged.StoredBytes,
            };
        info.Status = BackupStatus.Corrupt;
        return info;
    }

    /// <summary>The backups <paramref name="id"/> needs, full first, itself last (see <see cref="BackupChain"/>).</summary>
    public static Task<List<BackupManifest>> ResolveChainAsync(BackupRepository repository, string collection, string id, CancellationToken ct) =>
        BackupChain.ResolveAsync(id, async next =>
        {
            try
            {
                return await repository.ReadManifestAsync(collection, next, ct).ConfigureAwait(false);
            }
            catch (BackupNotFoundException)
            {
                return null;
            }
        });

    /// <summary>
    /// What only the collection can say about its manifests: encrypted exactly when the collection
    /// is, and — once its key is unlocked — written by a holder of the passphrase (<see cref="ManifestMac"/>).
    /// </summary>
    public static void CheckManifests(CollectionDefinition definition, IEnumerable<BackupManifest> manifests, byte[]? key)
    {
        foreach (var manifest in manifests)
        {
            if (definition.Encryption == null && manifest.Encrypted)
                throw new DocumentCorruptException($"Manifest of backup '{manifest.Id}' says its artifacts are encrypted, but collection '{definition.Name}' is not encrypted. The backup is not trusted.") { TargetObject = manifest.Id };
            if (definition.Encryption != null && key != null)
                ManifestMac.Verify(manifest, definition.Encryption, key);
        }
    }

    /// <summary>Finds which collection holds a backup id when the caller did not say.</summary>
    public static async Task<string> FindCollectionOfAsync(BackupRepository repository, string id, CancellationToken ct)
    {
        BackupId.Validate(id);
        // Folder names only: an unrelated collection with a damaged definition does not hide this backup.
        await foreach (var entry in repository.Store.ListAsync(RepositoryKeys.CollectionsPrefix, ct).ConfigureAwait(false))
        {
            var parts = entry.Key.Split('/');
            if (parts.Length == 3 && parts[2] == RepositoryKeys.DefinitionName && Names.IsValid(parts[1])
                && await repository.Store.StatAsync(RepositoryKeys.Manifest(parts[1], id), ct).ConfigureAwait(false) != null)
                return parts[1];
        }
        throw new BackupNotFoundException($"No collection in repository '{repository.Location}' has a backup '{id}'.") { TargetObject = id };
    }
}
