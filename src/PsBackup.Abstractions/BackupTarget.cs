namespace PsBackup;

/// <summary>One thing a collection backs up. Engines derive their own target type.</summary>
public abstract class BackupTarget
{
    /// <summary>Unique within a collection; names the target's folder inside a backup.</summary>
    public string Name { get; set; } = "";

    /// <summary>
    /// The engine kind that backs it up ("FileTree", "PostgreSql" …): the "kind" of the target in
    /// collection.json and in manifests. A plain string so an engine kind is one registration.
    /// </summary>
    public abstract string Kind { get; }

    /// <summary>Where the target lives, for display (a path, a host:port/database …).</summary>
    public abstract string Location { get; }

    public override string ToString() => $"{Kind} {Name} ({Location})";
}

/// <summary>A directory tree with tar --exclude style include/exclude globs.</summary>
public sealed class FileTreeTarget : BackupTarget
{
    public override string Kind => "FileTree";

    /// <summary>Absolute root of the tree.</summary>
    public string Path { get; set; } = "";

    /// <summary>When non-empty, only files matching one of these globs are backed up.</summary>
    public string[] Include { get; set; } = [];

    /// <summary>Files and directories matching any of these globs are skipped (directories with their whole subtree).</summary>
    public string[] Exclude { get; set; } = [];

    /// <summary>Record no extended attributes (POSIX ACLs, SELinux labels and capabilities included).</summary>
    public bool NoXattrs { get; set; }

    /// <summary>Incrementals also re-read a file whose ctime changed (not only its size or mtime), as restic and borg do.</summary>
    public bool UseCtime { get; set; }

    public override string Location => Path;
}
