using PsBackup.Engine.Storage;
using PsBackup.Engine.Storage.S3;

namespace PsBackup.Engine;

/// <summary>Turns what the user typed for -Repository into a store; knows the default repository.</summary>
public static class RepositoryLocation
{
    public const string EnvironmentVariable = "PSBACKUP_REPOSITORY";

    /// <summary>$env:PSBACKUP_REPOSITORY, else a "PsBackup/repository" folder in the user's local data directory.</summary>
    public static string Default =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "PsBackup", "repository");

    public static string Resolve(string? repository) => string.IsNullOrWhiteSpace(repository) ? Default : repository;

    public static IObjectStore OpenStore(RepositoryAddress? repository)
    {
        var location = Resolve(repository?.Location);
        if (S3Location.IsS3(location))
            return new S3ObjectStore(S3Location.Parse(location), repository?.S3 ?? S3StoreOptions.FromEnvironment());
        if (Uri.TryCreate(location, UriKind.Absolute, out var uri) && uri.IsFile && location.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
            location = uri.LocalPath;
        return new LocalObjectStore(location);
    }
}
