using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Repository;

/// <summary>
/// Opens the artifacts of a collection's backups for verified reading, each with the codec its
/// backup was written with. The one verification path of Test-Backup, Restore-Backup, incremental
/// bases and Copy-Backup: the stored object must exist with the manifest's stored size, and its
/// plaintext must decode (decompress, decrypt) to the manifest's size and SHA-256 — any failure is
/// <see cref="ArtifactMissingException"/> or <see cref="IntegrityException"/> (ArtifactCorrupt).
/// </summary>
internal sealed class ArtifactReader(BackupRepository repository, byte[]? key)
{
    public BackupRepository Repository => repository;

    /// <summary>The collection's data key; null when it is not encrypted (or not unlocked).</summary>
    public byte[]? Key => key;

    public async Task<Stream> OpenAsync(BackupManifest backup, TargetRecord target, string name, CancellationToken ct, bool plainCheckedByReader = false) =>
        await OpenVerifyingAsync(backup, target, Find(backup, target, name), ct, plainCheckedByReader).ConfigureAwait(false);

    public async Task<VerifyingReadStream> OpenVerifyingAsync(BackupManifest backup, TargetRecord target, ArtifactRecord artifact, CancellationToken ct,
        bool plainCheckedByReader = false)
    {
        if (backup.Encrypted && key == null)
            throw new PassphraseRequiredException(backup.Collection);
        var codec = new ArtifactCodec(repository.Store, backup.Compression, backup.Encrypted ? key : null);
        var display = $"'{artifact.Path}' of backup '{backup.Id}'";
        var objectKey = RepositoryKeys.Artifact(backup.Collection, backup.Id, artifact.Path);
        var stored = await repository.Store.StatAsync(objectKey, ct).ConfigureAwait(false)
                     ?? throw Missing(display, target);
        if (stored.Size != artifact.StoredSize)
            throw new IntegrityException($"Artifact {display} is corrupt: it holds {stored.Size} stored bytes; the manifest records {artifact.StoredSize}.") { TargetObject = backup.Id };
        try
        {
            return await codec.OpenAsync(objectKey, artifact, display, ct, plainCheckedByReader).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            throw Missing(display, target);
        }
    }

    private static ArtifactMissingException Missing(string display, TargetRecord target) =>
        new($"Artifact {display} (target '{target.Name}') is missing from the repository.");

    private static ArtifactRecord Find(BackupManifest backup, TargetRecord target, string name) =>
        target.Artifacts.FirstOrDefault(a => a.Name == name)
        ?? throw new IntegrityException($"Backup '{backup.Id}' has no artifact '{name}' for target '{target.Name}'.");
}
