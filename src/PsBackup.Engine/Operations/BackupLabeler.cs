using System.Text.RegularExpressions;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Operations;

/// <summary>Set-Backup: pins or tags a committed backup (backups/&lt;id&gt;/labels.json), under the collection's lock so retention cannot delete it meanwhile.</summary>
internal sealed partial class BackupLabeler(EngineOptions options)
{
    public async Task<BackupInfo> SetAsync(SetBackupRequest request, CancellationToken ct)
    {
        foreach (var tag in request.Tags ?? [])
            if (!BackupLabels.IsValidTag(tag))
                throw new InvalidBackupRequestException("InvalidTag",
                    $"Tag '{tag}' is not valid: use 1-100 letters, digits and . _ - : @ + =, starting with a letter or digit.") { TargetObject = tag };
        BackupId.Validate(request.Id);
        if (request.Collection != null) Names.Validate(request.Collection, "Collection");
        using var repository = await CollectionAccess.OpenRepositoryAsync(request.Repository, ct).ConfigureAwait(false);
        var collection = request.Collection ?? await CollectionAccess.FindCollectionOfAsync(repository, request.Id, ct).ConfigureAwait(false);
        await repository.GetCollectionAsync(collection, ct).ConfigureAwait(false);

        await using var _ = await CollectionLock.AcquireAsync(repository.Store, collection, "Set-Backup", options.LockLease, ct).ConfigureAwait(false);
        var manifest = await repository.ReadManifestAsync(collection, request.Id, ct).ConfigureAwait(false);
        var labels = await repository.ReadLabelsAsync(collection, request.Id, ct).ConfigureAwait(false) ?? new BackupLabels();
        if (request.Pinned is { } pinned) labels.Pinned = pinned;
        if (request.Tags != null) labels.Tags = [.. request.Tags.Distinct(StringComparer.OrdinalIgnoreCase)];
        labels.Version = FormatVersion.Labels;
        labels.Modified = DateTimeOffset.UtcNow;
        await repository.WriteLabelsAsync(collection, request.Id, labels, ct).ConfigureAwait(false);
        return CollectionAccess.Describe(manifest, repository, DateTimeOffset.UtcNow, labels);
    }
}
