namespace PsBackup.Engine.Errors;

/// <summary>Start-Failover stopped before or during the promotion; the message says what state the servers are in.</summary>
public sealed class FailoverFailedException(string message, Exception? inner = null)
    : PsBackupException("FailoverFailed", ErrorKind.InvalidData, message, inner);

/// <summary>Start-Failover refused: the promotion would lose more than -MaxDataLoss (or an unknown amount), at the assessment (nothing was changed) or at the re-assessment after -BeforePromote (nothing was promoted).</summary>
public sealed class FailoverDataLossException(string message)
    : PsBackupException("FailoverDataLossTooHigh", ErrorKind.InvalidData, message);

/// <summary>A -BeforePromote or -AfterPromote script block threw; the failover stopped there.</summary>
public sealed class FailoverHookFailedException(string message, Exception? inner = null)
    : PsBackupException("FailoverHookFailed", ErrorKind.InvalidData, message, inner);

/// <summary>The target has no replica that could be promoted (none named, none reachable, or the one asked for is not a replica).</summary>
public sealed class NoStandbyException(string message)
    : PsBackupException("FailoverNoStandby", ErrorKind.NotFound, message);
