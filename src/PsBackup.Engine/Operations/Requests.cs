namespace PsBackup.Engine.Operations;

// What the cmdlets (and psbackup-cli) ask the engine for. Repository null = the default repository.

public sealed record NewCollectionRequest(string Name, IReadOnlyList<BackupTarget> Targets)
{
    public RepositoryAddress? Repository { get; init; }
    public bool IncrementalBackupEnabled { get; init; }
    public CompressionKind Compression { get; init; } = CompressionKind.Zstd;
    public string? Passphrase { get; init; }
    public bool IfNotExists { get; init; }

    /// <summary>Storage class, server-side encryption and tags for data objects (S3 repositories).</summary>
    public Storage.ObjectWriteSettings? Storage { get; init; }

    /// <summary>The policy Invoke-RetentionPolicy applies to the collection by default.</summary>
    public RetentionPolicy? RetentionPolicy { get; init; }
}

public sealed record BackupRequest(string Collection)
{
    public RepositoryAddress? Repository { get; init; }
    public BackupType Type { get; init; } = BackupType.Full;
    public string? Passphrase { get; init; }

    /// <summary>How to log in to database targets; never stored.</summary>
    public Providers.TargetCredentials Credentials { get; init; } = Providers.TargetCredentials.None;

    /// <summary>How many parts of a target (tables …) are read at once.</summary>
    public int ThrottleLimit { get; init; } = DefaultThrottleLimit;

    public static int DefaultThrottleLimit => Math.Clamp(Environment.ProcessorCount, 1, 4);

    /// <summary>How many collections Invoke-Backup backs up at once when given several.</summary>
    public const int DefaultCollectionThrottleLimit = 4;
}

public sealed record BackupQuery
{
    public RepositoryAddress? Repository { get; init; }

    /// <summary>Collection name or wildcard pattern; null for all.</summary>
    public string? Collection { get; init; }

    public string? Id { get; init; }
    public bool Latest { get; init; }
    public BackupType? Type { get; init; }
}

public sealed record RestoreRequest(string Id)
{
    public RepositoryAddress? Repository { get; init; }

    /// <summary>Null: find the collection holding <see cref="Id"/>.</summary>
    public string? Collection { get; init; }

    /// <summary>
    /// Null: restore each target to its original location. As typed: each target's kind reads it
    /// as a path (a directory) or as an address (a database, a server) — <see cref="Providers.EngineKind.IsPathDestination"/>.
    /// </summary>
    public string? Destination { get; init; }

    /// <summary>
    /// Resolves <see cref="Destination"/> when a kind reads it as a path (PowerShell drives, ~, the
    /// current location); null resolves it against the process's current directory.
    /// </summary>
    public Func<string, string>? ResolvePath { get; init; }

    /// <summary>How to log in where database targets are restored; never stored.</summary>
    public Providers.TargetCredentials Credentials { get; init; } = Providers.TargetCredentials.None;

    /// <summary>How many parts of a target (tables …) are restored at once.</summary>
    public int ThrottleLimit { get; init; } = BackupRequest.DefaultThrottleLimit;

    /// <summary>Restore only these targets; null or empty for all.</summary>
    public IReadOnlyList<string>? Targets { get; init; }

    public bool Force { get; init; }
    public string? Passphrase { get; init; }

    /// <summary>
    /// Kinds with point-in-time recovery: how far to replay the archived log (-PointInTime,
    /// -TargetLsn, -EndOfArchive). With a point in time or position, the restore starts from the
    /// newest backup, up to <see cref="Id"/>, that ended before it.
    /// </summary>
    public Providers.RecoveryTarget? Recovery { get; init; }

    /// <summary>
    /// The kinds' own options records (<see cref="Providers.EngineKind.RestoreOptionsType"/>), at most
    /// one per kind; each reaches the targets of its kind untouched.
    /// </summary>
    public IReadOnlyList<object> Options { get; init; } = [];
}

public sealed record VerifyRequest(string Id)
{
    public RepositoryAddress? Repository { get; init; }
    public string? Collection { get; init; }
    public string? Passphrase { get; init; }
}

public sealed record CopyRequest(string Collection, RepositoryAddress Destination)
{
    /// <summary>Where the backups are; null for the default repository.</summary>
    public RepositoryAddress? Source { get; init; }

    /// <summary>One backup (with its whole chain); null for every committed backup of the collection.</summary>
    public string? Id { get; init; }

    /// <summary>Optional even for encrypted collections: with it, every copied artifact's plaintext is verified too.</summary>
    public string? Passphrase { get; init; }

    /// <summary>Kinds with a continuously archived log: copy all of it, not only what the copied backups need (-AllArchivedLog).</summary>
    public bool AllArchivedLog { get; init; }

    /// <summary>Copy only the archived log the destination lacks, no backups (-ArchivedLogOnly): keeps a disaster-recovery copy's log current.</summary>
    public bool ArchivedLogOnly { get; init; }
}

/// <summary>
/// A server's log archiving command (archive_command): store one log file it hands
/// over (%p) under its name (%f) in the collection, for its point-in-time recovery kind.
/// </summary>
public sealed record ArchiveLogRequest(string Collection, string File, string Name)
{
    public RepositoryAddress? Repository { get; init; }
    public string? Passphrase { get; init; }

    /// <summary>
    /// Further repositories (disaster-recovery copies of the collection) that get the file too, after
    /// <see cref="Repository"/> has it. A copy that fails does not fail the archiving for good: see
    /// <see cref="CopyGrace"/>.
    /// </summary>
    public IReadOnlyList<RepositoryAddress> Copies { get; init; } = [];

    /// <summary>
    /// While the file is younger than this (its last write), a copy that fails asks the server to
    /// retry (<see cref="ArchiveLogResult.RetryLater"/>); older, the copy is skipped so the primary
    /// keeps archiving, and Copy-Backup -ArchivedLogOnly fills the gap later.
    /// </summary>
    public TimeSpan CopyGrace { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Time allowed for one copy of the file (an unreachable repository must not stall archiving).</summary>
    public TimeSpan CopyTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>Get-BackupArchiveCommand: the server setting that runs <paramref name="Archiver"/> (program and first arguments) for the collection.</summary>
public sealed record ArchiveCommandRequest(string Collection, IReadOnlyList<string> Archiver)
{
    public RepositoryAddress? Repository { get; init; }

    /// <summary>Repositories that get each file too (the archiver's further --repository).</summary>
    public IReadOnlyList<RepositoryAddress> Copies { get; init; } = [];

    /// <summary>A file on the server's host holding the passphrase of an encrypted collection (else the environment variable).</summary>
    public string? PassphraseFile { get; init; }
}

public sealed record RecoveryWindowQuery
{
    public RepositoryAddress? Repository { get; init; }

    /// <summary>Collection name or wildcard pattern; null for all.</summary>
    public string? Collection { get; init; }

    /// <summary>Needed for encrypted collections whose archived log must be read (a timeline switch's history files).</summary>
    public string? Passphrase { get; init; }
}

public sealed record RetentionRequest(string Collection)
{
    public RepositoryAddress? Repository { get; init; }

    /// <summary>The policy to apply; null: the one stored on the collection (Set-BackupCollection -RetentionPolicy).</summary>
    public RetentionPolicy? Policy { get; init; }

    /// <summary>Overrides the policy's time zone (IANA or Windows id).</summary>
    public string? TimeZone { get; init; }

    /// <summary>Unfinished (manifest-less) folders last written longer ago than this are deleted.</summary>
    public TimeSpan UnfinishedGracePeriod { get; init; } = TimeSpan.FromDays(1);

    /// <summary>The clock; null for now. Tests set it.</summary>
    public DateTimeOffset? Now { get; init; }
}

/// <summary>Set-Backup: null leaves a label as it is.</summary>
public sealed record SetBackupRequest(string Id)
{
    public RepositoryAddress? Repository { get; init; }
    public string? Collection { get; init; }
    public bool? Pinned { get; init; }

    /// <summary>Replaces the backup's tags; an empty array removes them all.</summary>
    public IReadOnlyList<string>? Tags { get; init; }
}

/// <summary>Set-BackupCollection: null leaves a setting as it is.</summary>
public sealed record SetCollectionRequest(string Name)
{
    public RepositoryAddress? Repository { get; init; }
    public RetentionPolicy? RetentionPolicy { get; init; }

    /// <summary>Removes the stored retention policy (wins over <see cref="RetentionPolicy"/>).</summary>
    public bool RemoveRetentionPolicy { get; init; }

    public bool? IncrementalBackupEnabled { get; init; }
    public CompressionKind? Compression { get; init; }

    /// <summary>The replicas (host:port) a target names from now on; null: unchanged. Needs <see cref="Target"/> unless one target can name replicas.</summary>
    public IReadOnlyList<string>? Standby { get; init; }

    /// <summary>The target <see cref="Standby"/> applies to.</summary>
    public string? Target { get; init; }
}
