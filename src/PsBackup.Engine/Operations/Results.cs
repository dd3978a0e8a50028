using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Operations;

/// <summary>A target that failed while the rest of its operation went on (a non-terminating error for the cmdlet).</summary>
public sealed record TargetFailure(string Target, PsBackupException Error);

/// <summary>The committed backup, plus what went wrong or was noteworthy on the way.</summary>
public sealed record BackupRunResult(BackupInfo Backup, IReadOnlyList<TargetFailure> Failures, IReadOnlyList<string> Warnings, int RemovedUnfinished);

/// <summary>One target's restore: a result or the error that stopped it.</summary>
public sealed record RestoreOutcome(string Target, RestoreResult? Result, PsBackupException? Error)
{
    /// <summary>What the restore left out or could not match exactly, without failing (e.g. a foreign key to a table outside the collection).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>One backup's copy: its result (Status Failed on failure) and the error with its original ErrorId.</summary>
public sealed record CopyOutcome(CopyResult Result, PsBackupException? Error);

/// <summary>What a restore would do, worked out without changing anything: one step per target.</summary>
public sealed record RestorePlan(string BackupId, string Collection, string? Recovery, IReadOnlyList<RestorePlanStep> Steps);

/// <summary>One target of a restore plan and where it would go (credentials masked).</summary>
public sealed record RestorePlanStep(string Target, string Kind, string Destination);

/// <summary>
/// What setting or removing a repository's lifecycle would do, worked out without changing
/// anything (-WhatIf): the lifecycle now, the lifecycle after, and how many of the bucket's
/// other rules are kept unchanged.
/// </summary>
public sealed record StorageLifecyclePlan(StorageLifecycle Current, StorageLifecycle Planned, int OtherRulesKept)
{
    /// <summary>The bucket's whole lifecycle configuration to write.</summary>
    internal Storage.S3.BucketLifecycle Bucket { get; init; } = new([], null);

    public string Description => (Planned.RuleIds.Length == 0
            ? $"Remove PsBackup's lifecycle rules ({(Current.RuleIds.Length == 0 ? "there are none" : Current.RuleIds)})"
            : $"Set lifecycle rules {Planned.RuleIds}: {Summary(Planned)}")
        + $"; {OtherRulesKept} other rule(s) of bucket '{Planned.Bucket}' kept unchanged";

    private static string Summary(StorageLifecycle l) =>
        string.Join(", ", new[] { l.Transitions, l.ExpireAfterDays is { } d ? $"backups expire after {d} d" : "" }.Where(s => s.Length > 0));
}

/// <summary>What became of a log file given to the archive command: stored (or already there) in the repository, and in each copy.</summary>
public sealed record ArchiveLogResult(bool Stored, IReadOnlyList<ArchiveCopyOutcome> Copies)
{
    /// <summary>A copy failed while the file is within its grace period: the server should keep the file and try again (exit code 1).</summary>
    public bool RetryLater => Copies.Any(c => c.Status == ArchiveCopyStatus.RetryLater);
}

public enum ArchiveCopyStatus { Stored, AlreadyStored, RetryLater, Skipped }

/// <summary>One copy repository's outcome for one archived file; the error when it failed.</summary>
public sealed record ArchiveCopyOutcome(string Repository, ArchiveCopyStatus Status, PsBackupException? Error);
