namespace PsBackup.Engine.Providers.Files;

/// <summary>How a file tree is restored (Restore-Backup -NumericOwner, -SkipXattrs).</summary>
public sealed record FileRestoreOptions
{
    /// <summary>Give files their recorded uid/gid as numbers, ignoring the recorded user and group names (tar --numeric-owner).</summary>
    public bool NumericOwner { get; init; }

    /// <summary>Restore no extended attributes (POSIX ACLs and SELinux labels included).</summary>
    public bool SkipXattrs { get; init; }
}
