using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers.Files;

/// <summary>Builds validated file-tree targets (New-BackupTarget -Path), deriving a default name from the directory.</summary>
public static class FileTreeTargets
{
    public static FileTreeTarget Create(string fullPath, string? name, string[]? include, string[]? exclude)
    {
        if (!Path.IsPathFullyQualified(fullPath))
            throw new InvalidBackupRequestException("RelativeTargetPath", $"Path '{fullPath}' must be absolute.");
        var path = Path.TrimEndingDirectorySeparator(Path.GetFullPath(fullPath));
        if (!Directory.Exists(path))
            throw new TargetUnavailableException(File.Exists(path)
                ? $"'{path}' is a file; a file-tree target is a directory."
                : $"Directory '{path}' does not exist.") { TargetObject = path };
        var targetName = string.IsNullOrEmpty(name) ? Names.From(Path.GetFileName(path)) : name;
        Names.Validate(targetName, "Target");
        return new FileTreeTarget { Name = targetName, Path = path, Include = include ?? [], Exclude = exclude ?? [] };
    }
}
