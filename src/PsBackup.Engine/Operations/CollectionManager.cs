using PsBackup.Engine.Providers;
using PsBackup.Engine.Providers.Capabilities;
using PsBackup.Engine.Crypto;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Operations;

/// <summary>Creating, listing and removing backup collections.</summary>
internal sealed class CollectionManager(EngineOptions options)
{
    public async Task<BackupCollectionInfo> CreateAsync(NewCollectionRequest request, CancellationToken ct)
    {
        Names.Validate(request.Name, "Collection");
        CollectionValidator.ValidateTargets(request.Targets);
        request.Storage?.Validate();
        if (request.RetentionPolicy != null)
            Retention.RetentionRules.From(request.RetentionPolicy);
        if (request.Passphrase is { Length: 0 })
            throw new InvalidBackupRequestException("EmptyPassphrase", "The encryption passphrase is empty; give a real passphrase, or none for an unencrypted collection.");
        using var repository = await BackupRepository.OpenAsync(RepositoryLocation.OpenStore(request.Repository), create: true, ct).ConfigureAwait(false);
        var definition = new CollectionDefinition
        {
            Name = request.Name,
            Created = DateTimeOffset.UtcNow,
            IncrementalBackupEnabled = request.IncrementalBackupEnabled,
            Compression = request.Compression,
            Storage = request.Storage,
            Retention = request.RetentionPolicy == null ? null : Retention.RetentionPolicyJson.ToJson(request.RetentionPolicy),
            Targets = new(request.Targets.Select(TargetSerializer.ToJson)),
        };
        if (request.Passphrase != null)
            definition.Encryption = KeyWrapping.CreateKey(request.Passphrase, request.Name, options.KdfIterations).Info;
        if (await repository.TryCreateCollectionAsync(definition, ct).ConfigureAwait(false))
            return CollectionAccess.Describe(definition, repository);
        if (request.IfNotExists)
            return CollectionAccess.Describe(await repository.GetCollectionAsync(request.Name, ct).ConfigureAwait(false), repository);
        throw new CollectionExistsException(request.Name, repository.Location) { TargetObject = request.Name };
    }

    /// <summary>Collections whose name matches <paramref name="pattern"/> (wildcards allowed); a literal name that is absent is an error.</summary>
    public static async Task<List<BackupCollectionInfo>> GetAsync(RepositoryAddress? repositoryLocation, string? pattern, CancellationToken ct)
    {
        if (pattern != null) Names.ValidatePattern(pattern, "Collection");
        using var repository = await CollectionAccess.OpenRepositoryAsync(repositoryLocation, ct).ConfigureAwait(false);
        if (pattern != null && !Glob.HasWildcards(pattern))
            return [CollectionAccess.Describe(await repository.GetCollectionAsync(pattern, ct).ConfigureAwait(false), repository)];
        var glob = new Glob(pattern ?? "*", ignoreCase: true);
        var result = new List<BackupCollectionInfo>();
        await foreach (var definition in repository.ListCollectionsAsync(ct).ConfigureAwait(false))
            if (glob.IsMatch(definition.Name))
                result.Add(CollectionAccess.Describe(definition, repository));
        return result;
    }

    /// <summary>
    /// Removes a collection with all its backups, holding its lock so no backup is running. First
    /// what its targets keep on their servers (a replication slot holds the server's log) is dropped; if that
    /// fails the collection stays, unless <paramref name="force"/>: then the failures come back as warnings.
    /// </summary>
    public async Task<List<string>> RemoveAsync(RepositoryAddress? repositoryLocation, string name, TargetCredentials? credentials, bool force, CancellationToken ct)
    {
        Names.Validate(name, "Collection");
        using var repository = await CollectionAccess.OpenRepositoryAsync(repositoryLocation, ct).ConfigureAwait(false);
        var warnings = new List<string>();
        CollectionDefinition? definition;
        try
        {
            definition = await repository.GetCollectionAsync(name, ct).ConfigureAwait(false);
        }
        catch (PsBackupException e) when (force && e is DocumentCorruptException or EncryptionParametersException)
        {
            // A damaged definition must not make a collection impossible to remove; -Force removes it without touching its servers.
            warnings.Add($"{e.Message} Removed without cleaning up on its targets' servers (replication slots, publications): check them by hand.");
            definition = null;
        }
        await using var _ = await CollectionLock.AcquireAsync(repository.Store, name, "Remove-BackupCollection", options.LockLease, ct).ConfigureAwait(false);
        foreach (var target in definition == null ? [] : CollectionAccess.Describe(definition, repository).Targets)
        {
            if (EngineKinds.For(target) is not ITargetResources resources) continue;
            try
            {
                await resources.DropAsync(repository.Config.Id, name, target, (credentials ?? TargetCredentials.None).For(target.Name), ct).ConfigureAwait(false);
            }
            catch (PsBackupException e) when (force)
            {
                warnings.Add(e.Message);
            }
        }
        await repository.DeleteCollectionAsync(name, ct).ConfigureAwait(false);
        return warnings;
    }

    /// <summary>Get-BackupTargetStatus: one status per target (reachability, replication, what its server keeps for the collection).</summary>
    public static async IAsyncEnumerable<BackupTargetStatus> StatusAsync(RepositoryAddress? repositoryLocation, string name, TargetCredentials? credentials,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        Names.Validate(name, "Collection");
        using var repository = await CollectionAccess.OpenRepositoryAsync(repositoryLocation, ct).ConfigureAwait(false);
        var definition = await repository.GetCollectionAsync(name, ct).ConfigureAwait(false);
        foreach (var target in CollectionAccess.Describe(definition, repository).Targets)
            yield return await StatusOfAsync(repository.Config.Id, definition.Name, target, (credentials ?? TargetCredentials.None).For(target.Name), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Asks the target's kind what it can tell: its health probe (reachable with this login?), then
    /// what it keeps on the server (<see cref="ITargetResources"/>) and its replication
    /// (<see cref="IReplication"/>). A failure becomes the status's ErrorId and message, not an error.
    /// </summary>
    private static async Task<BackupTargetStatus> StatusOfAsync(string repositoryId, string collection, BackupTarget target,
        System.Net.NetworkCredential? credential, CancellationToken ct)
    {
        var kind = EngineKinds.For(target);
        var status = new BackupTargetStatus { Collection = collection, Target = target.Name, Kind = target.Kind, Location = target.Location };
        try
        {
            if (kind is IHealthProbe probe)
                await probe.ProbeAsync(target, credential, ct).ConfigureAwait(false);
            if (kind is ITargetResources resources)
                status = await resources.GetStatusAsync(repositoryId, collection, target, credential, ct).ConfigureAwait(false);
            status.Reachable = true;
            if (kind is IReplication replication)
                Describe(status, await replication.GetReplicationAsync(target, credential, ct).ConfigureAwait(false));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var error = Failures.Of(e, target.Name, OperationKind.Backup);
            (status.ErrorId, status.Message) = (error.ErrorId, error.Message);
        }
        return status;
    }

    /// <summary>One server: its role; several: each server's role, and the largest lag.</summary>
    private static void Describe(BackupTargetStatus status, IReadOnlyList<ReplicaState> servers)
    {
        status.Role = servers.Count == 1 ? servers[0].Role : string.Join(", ", servers.Select(s => $"{s.Endpoint} {s.Role}"));
        status.ReplicationLag = servers.Select(s => s.LagTime).Where(l => l != null).Max();
        var notes = servers.Where(s => !s.Reachable || s.Message.Length > 0).Select(s => servers.Count == 1 ? s.Message : $"{s.Endpoint}: {s.Message}");
        status.Message = string.Join(" ", new[] { status.Message }.Concat(notes).Where(m => m.Length > 0));
    }

    /// <summary>
    /// Changes a collection's mutable settings, holding its lock. collection.json is patched as
    /// JSON, so fields this version does not know survive the rewrite.
    /// </summary>
    public async Task<BackupCollectionInfo> SetAsync(SetCollectionRequest request, CancellationToken ct)
    {
        Names.Validate(request.Name, "Collection");
        if (request.RetentionPolicy != null && !request.RemoveRetentionPolicy)
            Retention.RetentionRules.From(request.RetentionPolicy); // validates it, time zone included
        using var repository = await CollectionAccess.OpenRepositoryAsync(request.Repository, ct).ConfigureAwait(false);
        var name = (await repository.GetCollectionAsync(request.Name, ct).ConfigureAwait(false)).Name;
        await using (await CollectionLock.AcquireAsync(repository.Store, name, "Set-BackupCollection", options.LockLease, ct).ConfigureAwait(false))
        {
            await repository.GetCollectionAsync(name, ct).ConfigureAwait(false); // re-checks the format version under the lock
            var document = await repository.ReadCollectionDocumentAsync(name, ct).ConfigureAwait(false);
            if (request.RemoveRetentionPolicy)
                document.Remove("retention");
            else if (request.RetentionPolicy != null)
                document["retention"] = Retention.RetentionPolicyJson.ToJson(request.RetentionPolicy);
            if (request.IncrementalBackupEnabled is { } incremental)
                document["incrementalBackupEnabled"] = incremental;
            if (request.Compression is { } compression)
                document["compression"] = Newtonsoft.Json.Linq.JToken.FromObject(compression, Json.Serializer);
            await repository.WriteCollectionDocumentAsync(name, document, ct).ConfigureAwait(false);
        }
        return CollectionAccess.Describe(await repository.GetCollectionAsync(name, ct).ConfigureAwait(false), repository);
    }
}
