using PsBackup.Engine.Storage.S3;

namespace PsBackup.Engine;

/// <summary>
/// Where a repository is and how to reach it: a location (directory or s3://bucket/prefix;
/// null for the default) and, for S3, run-time connection settings. Never stored.
/// </summary>
public sealed record RepositoryAddress(string? Location, S3StoreOptions? S3 = null)
{
    public static implicit operator RepositoryAddress(string? location) => new(location);

    public override string ToString() => RepositoryLocation.Resolve(Location);
}
