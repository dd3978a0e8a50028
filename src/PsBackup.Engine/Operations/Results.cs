using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Operations;

/// <summary>A target that failed while the rest of its operation went on (a non-terminating error for the cmdlet).</summary>
public sealed record TargetFailure(string Target, PsBackupException Error);

/// <summary>The committed backup, plus what went wrong or was noteworthy on the way.</summary>
public sealed record BackupRunResult(BackupInfo Backup, IReadOnlyList<TargetFailure> Failures, IReadOnlyList<string> Warnings, int RemovedUnfinished);

/// <summary>One target's restore: a result or the error that stopped it.</summary>
public sealed record RestoreOutcome(string Target, RestoreResult? Result, PsBackupException? Error);
