namespace PsBackup.Engine.Errors;

/// <summary>
/// Base of every error the engine reports on purpose. ErrorId is stable (scripts and the
/// cmdlets' ErrorRecords use it); the message says what happened and what to do.
/// </summary>
public class PsBackupException : Exception
{
    public PsBackupException(string errorId, ErrorKind kind, string message, Exception? inner = null)
        : base(SecretMasker.Hide(message), inner) // messages may quote a destination or connection string
    {
        ErrorId = errorId;
        Kind = kind;
    }

    public string ErrorId { get; }
    public ErrorKind Kind { get; }

    /// <summary>The object the error is about (a collection name, backup id, path …), for the ErrorRecord.</summary>
    public object? TargetObject { get; init; }
}
