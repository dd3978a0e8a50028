using System.Management.Automation;
using PsBackup.Engine.Errors;
using PsBackup.Engine;

namespace PsBackup.Infrastructure;

/// <summary>Engine errors as ErrorRecords: the engine's stable ErrorId and the matching ErrorCategory.</summary>
internal static class ErrorMapping
{
    public static ErrorRecord ToRecord(PsBackupException error, object? target = null) =>
        new(error, error.ErrorId, Category(error.Kind), error.TargetObject ?? target);

    public static ErrorRecord ToRecord(Exception error, object? target)
    {
        var record = error is UnauthorizedAccessException
            ? new ErrorRecord(error, "AccessDenied", ErrorCategory.PermissionDenied, target)
            : new ErrorRecord(error, "IOError", ErrorCategory.WriteError, target);
        // .NET's own messages quote paths as given: a connection string typed as a destination must not echo.
        if (SecretMasker.Hide(error.Message) is var masked && masked != error.Message)
            record.ErrorDetails = new ErrorDetails(masked);
        return record;
    }

    private static ErrorCategory Category(ErrorKind kind) => kind switch
    {
        ErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        ErrorKind.NotFound => ErrorCategory.ObjectNotFound,
        ErrorKind.AlreadyExists => ErrorCategory.ResourceExists,
        ErrorKind.InvalidData => ErrorCategory.InvalidData,
        ErrorKind.ResourceBusy => ErrorCategory.ResourceBusy,
        ErrorKind.ResourceUnavailable => ErrorCategory.ResourceUnavailable,
        ErrorKind.Security => ErrorCategory.SecurityError,
        ErrorKind.NotImplemented => ErrorCategory.NotImplemented,
        _ => ErrorCategory.WriteError,
    };
}
