namespace PsBackup.Engine.Errors;

/// <summary>A restore drill's data did not come back as the backup recorded it (a check failed).</summary>
public sealed class RestoreDrillFailedException(string message)
    : PsBackupException("RestoreDrillFailed", ErrorKind.InvalidData, message);

/// <summary>A restore drill worked but took longer (-MaxRto) or recovered less recent data (-MaxRpo) than the objective.</summary>
public sealed class RestoreDrillObjectiveException(string message)
    : PsBackupException("RestoreDrillObjectiveMissed", ErrorKind.InvalidData, message);

/// <summary>This machine lacks what a drill of the kind needs (a server program …); the message names it.</summary>
public sealed class DrillPrerequisiteMissingException(string message)
    : PsBackupException("DrillPrerequisiteMissing", ErrorKind.NotImplemented, message);

/// <summary>A drill's scratch place could not be removed: the message says what is left and how to remove it.</summary>
public sealed class DrillCleanupFailedException(string message, Exception? inner = null)
    : PsBackupException("DrillCleanupFailed", ErrorKind.WriteError, message, inner);
