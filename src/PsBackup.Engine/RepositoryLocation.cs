using PsBackup.Engine.Errors;
using PsBackup.Engine.Storage;

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

    public static IObjectStore OpenStore(string? repository)
    {
        var location = Resolve(repository);
        if (location.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
            throw new PsBackupException("RepositoryKindNotSupported", ErrorKind.NotImplemented,
                $"Repository '{location}': S3 repositories are not available in this version; use a local directory.");
        if (Uri.TryCreate(location, UriKind.Absolute, out var uri) && uri.IsFile && location.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
            location = uri.LocalPath;
        return new LocalObjectStore(location);
    }
}
