namespace PsBackup.Engine.Repository;

/// <summary>A backup being written: its manifest-to-be and the codec its artifacts go through.</summary>
internal sealed class BackupSession(BackupRepository repository, BackupManifest manifest, byte[]? key, Storage.ObjectWriteSettings? storage, IProgress<BackupProgress>? progress)
{
    private readonly ArtifactCodec _codec = new(repository.Store, manifest.Compression, key, storage);

    public BackupManifest Manifest => manifest;
    public string RepositoryId => repository.Config.Id;
    public IProgress<BackupProgress>? Progress => progress;
    public ArtifactReader Reader { get; } = new(repository, key);

    public async Task<ArtifactRecord> WriteArtifactAsync(string target, string name, Func<Stream, Task> write, CancellationToken ct)
    {
        var path = $"{target}/{name}{_codec.Extension}";
        await using var writer = await _codec.CreateAsync(RepositoryKeys.Artifact(manifest.Collection, manifest.Id, path), name, ct).ConfigureAwait(false);
        await write(writer.Stream).ConfigureAwait(false);
        return await writer.CompleteAsync(path, ct).ConfigureAwait(false);
    }
}
