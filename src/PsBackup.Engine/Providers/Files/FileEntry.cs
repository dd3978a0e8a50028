namespace PsBackup.Engine.Providers.Files;

public enum FileEntryType { File, Directory, Symlink }

/// <summary>
/// One line of a file index: a path of the tree as of one backup. For a file, Backup, Pack and
/// Offset say where its bytes are: in a pack of that backup (this one or an earlier one of the chain).
/// </summary>
public sealed class FileEntry
{
    /// <summary>Relative to the root, '/'-separated.</summary>
    public string Path { get; set; } = "";

    public FileEntryType Type { get; set; }

    /// <summary>Unix permission bits in octal ("0644"); null for symlinks and where not known.</summary>
    public string? Mode { get; set; }

    public DateTime Mtime { get; set; }

    public long Size { get; set; }

    /// <summary>SHA-256 of the file's bytes.</summary>
    public string? Sha256 { get; set; }

    /// <summary>Id of the backup whose pack holds the bytes.</summary>
    public string? Backup { get; set; }

    /// <summary>Name of the pack artifact in that backup ("pack-0", "pack-1" …).</summary>
    public string? Pack { get; set; }

    /// <summary>Offset of the bytes in that pack.</summary>
    public long Offset { get; set; }

    /// <summary>A symlink's target, verbatim.</summary>
    public string? Target { get; set; }
}

/// <summary>First line of a file index.</summary>
public sealed class FileIndexHeader
{
    public const string FormatName = "psbackup-file-index";

    public string Format { get; set; } = FormatName;
    public int Version { get; set; } = FileIndex.CurrentVersion;

    /// <summary>The tree's root when it was backed up (the default restore location).</summary>
    public string Root { get; set; } = "";

    public string? RootMode { get; set; }
    public DateTime RootMtime { get; set; }
}
