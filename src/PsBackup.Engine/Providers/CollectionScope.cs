using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers;

/// <summary>
/// A collection opened by an operation, for capabilities that work beside its backups (a log
/// archive): the repository, the definition and the data key (null when not encrypted or not unlocked).
/// </summary>
public sealed record CollectionScope(BackupRepository Repository, CollectionDefinition Definition, byte[]? Key)
{
    public string Name => Definition.Name;
}
