namespace PsBackup;

/// <summary>
/// The server setting that hands every finished log file of a point-in-time collection to the
/// shipped archiver (psbackup-cli). What Get-BackupArchiveCommand writes. Holds no secret:
/// credentials reach the archiver through the environment the server runs it in (<see cref="Environment"/>).
/// </summary>
public sealed class ArchiveCommand
{
    public string Collection { get; set; } = "";

    /// <summary>The repository the archiver writes, as an absolute path or URI.</summary>
    public string Repository { get; set; } = "";

    /// <summary>The archiver program (and its first arguments) the command starts.</summary>
    public string[] Archiver { get; set; } = [];

    /// <summary>The shell command the server runs for each file, with the server's placeholders for the file's path and name.</summary>
    public string Command { get; set; } = "";

    /// <summary>The line for the server's configuration file; the part after "= " is also the SQL literal for ALTER SYSTEM.</summary>
    public string ConfigurationLine { get; set; } = "";

    /// <summary>Names (never values) of the environment variables the archiver reads for this collection: set them where the server starts.</summary>
    public string[] Environment { get; set; } = [];

    public override string ToString() => ConfigurationLine;
}
