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

    /// <summary>The backups <paramref name="id"/> needs, full first, itself last.</summary>
    public static async Task<List<BackupManifest>> ResolveChainAsync(BackupRepository repository, string collection, string id, CancellationToken ct)
    {
        var chain = new List<BackupManifest>();
        for (string? next = id; next != null;)
        {
            BackupManifest manifest;
            try
            {
                manifest = await repository.ReadManifestAsync(collection, next, ct).ConfigureAwait(false);
            }
            catch (BackupNotFoundException) when (chain.Count > 0)
            {
                throw new IntegrityException($"Backup '{id}' cannot be restored: its chain is broken, parent backup '{next}' is missing.") { TargetObject = id };
            }
            chain.Add(manifest);
            if (manifest.Type == BackupType.Full) break;
            next = manifest.Parent ?? throw new IntegrityException($"Incremental backup '{manifest.Id}' names no parent.");
            if (chain.Count > 100_000) throw new IntegrityException($"Backup '{id}' has a cyclic chain.");
        }
        chain.Reverse();
        return chain;
    }

    /// <summary>Finds which collection holds a backup id when the caller did not say.</summary>
    public static async Task<string> FindCollectionOfAsync(BackupRepository repository, string id, CancellationToken ct)
    {
        if (!BackupId.IsValid(id))
            throw new InvalidBackupRequestException("InvalidBackupId", $"'{id}' is not a backup id (expected yyyyMMddTHHmmssZ_full|incremental_xxxxxxxx).");
        await foreach (var definition in repository.ListCollectionsAsync(ct).ConfigureAwait(false))
            if (await repository.Store.StatAsync(RepositoryKeys.Manifest(definition.Name, id), ct).ConfigureAwait(false) != null)
                return definition.Name;
        throw new BackupNotFoundException($"No collection in repository '{repository.Location}' has a backup '{id}'.") { TargetObject = id };
    }
}
