namespace PsBackup.Engine.Errors;

/// <summary>
/// What kind of failure an engine exception is. The cmdlets map it to PowerShell's
/// ErrorCategory; the engine cannot name that type, as it never references PowerShell.
/// </summary>
public enum ErrorKind
{
    InvalidArgument,
    NotFound,
    AlreadyExists,
    InvalidData,
    ResourceBusy,
    ResourceUnavailable,
    Security,
    NotImplemented,
    WriteError,
}
