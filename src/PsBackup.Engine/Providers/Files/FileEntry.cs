using PsBackup.Engine.Providers.Files.Native;

namespace PsBackup.Engine.Providers.Files;

public enum FileEntryType { File, Directory, Symlink, Hardlink }

/// <summary>
/// One line of a file index: a path of the tree as of one backup. For a file, Backup, Pack and
/// Offset say where its bytes are: in a pack of that backup (this one or an earlier one of the chain).
/// </summary>
public sealed class FileEntry
{
    /// <summary>
    /// Relative to the root, '/'-separated. A path that is not valid UTF-8 holds its invalid bytes
    /// as lone surrogates U+DC80..U+DCFF (see <see cref="FsName"/>): never hand it to a .NET file API.
    /// </summary>
    public string Path { get; set; } = "";

    public FileEntryType Type { get; set; }

    /// <summary>Unix permission bits in octal ("0644", "4755"); null for symlinks, hard links and where not known.</summary>
    public string? Mode { get; set; }

    public DateTime Mtime { get; set; }

    /// <summary>Owner and group ids; null where not recorded (format 1 indexes, hard links).</summary>
    public uint? Uid { get; set; }
    public uint? Gid { get; set; }

    /// <summary>The names of <see cref="Uid"/> and <see cref="Gid"/> on the backed-up machine; null when they had none.</summary>
    public string? User { get; set; }
    public string? Group { get; set; }

    /// <summary>The file's length (holes included).</summary>
    public long Size { get; set; }

    /// <summary>SHA-256 of the file's bytes as stored in the pack (for a sparse file, its data extents end to end).</summary>
    public string? Sha256 { get; set; }

    /// <summary>Id of the backup whose pack holds the bytes.</summary>
    public string? Backup { get; set; }

    /// <summary>Name of the pack artifact in that backup ("pack-0", "pack-1" …).</summary>
    public string? Pack { get; set; }

    /// <summary>Offset of the bytes in that pack.</summary>
    public long Offset { get; set; }

    /// <summary>
    /// A sparse file's data extents, flattened: offset, length, offset, length … ascending; the
    /// rest of the file is holes. Null for a file stored whole (no holes).
    /// </summary>
    public long[]? Extents { get; set; }

    /// <summary>A symlink's target, verbatim (escaped like <see cref="Path"/> when not UTF-8).</summary>
    public string? Target { get; set; }

    /// <summary>A hard link's first path: the file entry, earlier in the index, whose inode it shares.</summary>
    public string? Link { get; set; }

    /// <summary>Extended attributes (POSIX ACLs among them), sorted by name; null when none.</summary>
    public IReadOnlyList<Xattr>? Xattrs { get; set; }

    /// <summary>
    /// Device and inode of the first path of a hard-link group (a file with more than one link):
    /// an incremental finds the base's bytes of a group through it when the group's new first
    /// path is new. Null for every other entry.
    /// </summary>
    public (ulong Device, ulong Inode)? Inode { get; set; }

    /// <summary>The inode change time, recorded only for targets that detect changes by it.</summary>
    public DateTime? Ctime { get; set; }

    /// <summary>How many bytes of the pack hold this file: its length, or the sum of its data extents.</summary>
    public long StoredLength
    {
        get
        {
            if (Extents == null) return Size;
            long total = 0;
            for (var i = 1; i < Extents.Length; i += 2) total += Extents[i];
            return total;
        }
    }
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

    /// <summary>Format 2: the root directory's owner, group and xattrs, applied to the destination like its mode.</summary>
    public uint? RootUid { get; set; }
    public uint? RootGid { get; set; }
    public string? RootUser { get; set; }
    public string? RootGroup { get; set; }

    /// <summary>Name to base64 value, as in entries.</summary>
    public Dictionary<string, string>? RootXattrs { get; set; }
}
