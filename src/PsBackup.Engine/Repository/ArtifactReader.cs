using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Repository;

/// <summary>Opens the artifacts of a collection's backups for verified reading, each with the codec its backup was written with.</summary>
internal sealed class ArtifactReader(BackupRepository repository, byte[]? key)
{
    public BackupRepository Repository => repository;

    /// <summary>The collection's data key; null when it is not encrypted (or not unlocked).</summary>
    public byte[]? Key => key;

    public async Task<Stream> OpenAsync(BackupManifest backup, TargetRecord target, string name, CancellationToken ct) =>
        await OpenVerifyingAsync(backup, target, Find(backup, target, name), ct).ConfigureAwait(false);

    public async Task<VerifyingReadStream> OpenVerifyingAsync(BackupManifest backup, TargetRecord target, ArtifactRecord artifact, CancellationToken ct)
    {
        if (backup.Encrypted && key == null)
            throw new PassphraseRequiredException(backup.Collection);
        var codec = new ArtifactCodec(repository.Store, backup.Compression, backup.Encrypted ? key : null);
        var display = $"'{artifact.Path}' of backup '{backup.Id}'";
        try
        {
            return await codec.OpenAsync(RepositoryKeys.Artifact(backup.Collection, backup.Id, artifact.Path), artifact, display, ct).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            throw new ArtifactMissingException($"Artifact {display} (target '{target.Name}') is missing from the repository.") { TargetObject = backup.Id };
        }
    }

    private static ArtifactRecord Find(BackupManifest backup, TargetRecord target, string name) =>
        target.Artifacts.FirstOrDefault(a => a.Name == name)
        ?? throw new IntegrityException($"Backup '{backup.Id}' has no artifact '{name}' for target '{target.Name}'.");
}
