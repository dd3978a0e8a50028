namespace PsBackup.Engine.Repository;

/// <summary>config.json at the repository root: marks the directory as a repository and fixes its format version.</summary>
public sealed class RepositoryConfig
{
    public const string FormatName = "psbackup-repository";

    public string Format { get; set; } = FormatName;
    public int Version { get; set; } = FormatVersion.Repository;
    public string Id { get; set; } = Guid.NewGuid().ToString("N");
    public DateTimeOffset Created { get; set; } = DateTimeOffset.UtcNow;
}
