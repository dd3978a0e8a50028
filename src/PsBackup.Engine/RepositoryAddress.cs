using PsBackup.Engine.Storage.S3;

namespace PsBackup.Engine;

/// <summary>
/// Where a repository is and how to reach it: a location (directory or s3://bucket/prefix;
/// null for the default) and, for S3, run-time connection settings. Never stored.
/// </summary>
public sealed record RepositoryAddress(string? Location, S3StoreOptions? S3 = null)
{
    public static implicit operator RepositoryAddress(string? location) => new(location);

    /// <summary>
    /// An address from what a user typed: S3 settings given here override the environment's
    /// ($env:PSBACKUP_S3_ENDPOINT, $env:AWS_REGION); with none given, the environment and the AWS
    /// credential chain apply when the store is opened.
    /// </summary>
    public static RepositoryAddress Create(string? location, string? s3Endpoint, string? s3Region, string? accessKey, string? secretKey)
    {
        if (s3Endpoint == null && s3Region == null && accessKey == null)
            return new RepositoryAddress(location);
        var environment = S3StoreOptions.FromEnvironment();
        return new RepositoryAddress(location, environment with
        {
            Endpoint = s3Endpoint ?? environment.Endpoint,
            Region = s3Region ?? environment.Region,
            AccessKey = accessKey,
            SecretKey = secretKey,
        });
    }

    public override string ToString() => SecretMasker.Hide(Location ?? RepositoryLocation.Default);
}
