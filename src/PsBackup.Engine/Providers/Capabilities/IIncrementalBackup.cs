namespace PsBackup.Engine.Providers.Capabilities;

/// <summary>
/// A kind whose incremental backups build on an earlier backup of the target: the operation finds
/// that base (<see cref="TargetBackupContext.Base"/>) and refuses an incremental without one. A kind
/// without this capability writes a complete copy for every backup, -Incremental included.
/// </summary>
public interface IIncrementalBackup;
