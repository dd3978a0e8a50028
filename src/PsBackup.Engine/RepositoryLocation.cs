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

    /// <summary>Null is the default repository; an empty location is a mistake (an unset variable), never silently the default.</summary>
    public static string Resolve(string? repository) =>
        repository == null ? Default
        : string.IsNullOrWhiteSpace(repository)
            ? throw new Errors.InvalidBackupRequestException("InvalidRepository",
                "The repository location is empty. Omit -Repository for the default repository, or give a directory or s3://bucket/prefix.")
            : repository;

    public static IObjectStore OpenStore(RepositoryAddress? repository)
    {
        var location = Resolve(repository?.Location);
        if (S3Location.IsS3(location))
            return new S3ObjectStore(S3Location.Parse(location), repository?.S3 ?? S3StoreOptions.FromEnvironment());
        if (Uri.TryCreate(location, UriKind.Absolute, out var uri) && uri.IsFile && location.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
            location = uri.LocalPath;
        RefuseFiles(location);
        return new LocalObjectStore(location);
    }

    /// <summary>A repository is a directory: a file there (or in the way) is named, rather than failing later with an I/O error.</summary>
    private static void RefuseFiles(string location)
    {
        for (var path = Path.GetFullPath(location); !string.IsNullOrEmpty(path); path = Path.GetDirectoryName(path))
            if (File.Exists(path))
                throw new Errors.InvalidBackupRequestException("RepositoryIsAFile", path == Path.GetFullPath(location)
                    ? $"Repository '{location}' is a file, not a directory. Give a directory (it is created when absent) or s3://bucket/prefix."
                    : $"Repository '{location}' cannot be a directory: '{path}' is a file.")
                { TargetObject = location };
    }
}
