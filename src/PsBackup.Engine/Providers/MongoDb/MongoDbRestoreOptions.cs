namespace PsBackup.Engine.Providers.MongoDb;

/// <summary>Restore-Backup's options for MongoDB targets.</summary>
public sealed record MongoDbRestoreOptions
{
    /// <summary>Prepended to every restored collection's name (a drill beside the originals); null: collections keep their names.</summary>
    public string? CollectionPrefix { get; init; }
}
