using System.Net;

namespace PsBackup.Engine.Providers.Capabilities;

/// <summary>A kind that can tell whether a target is reachable and readable with a login, without backing it up.</summary>
public interface IHealthProbe
{
    /// <summary>
    /// Connects and reads as a backup would. Throws a PsBackupException whose ErrorId separates a
    /// refused login (TargetAuthenticationFailed) from an unreachable target (TargetUnavailable).
    /// </summary>
    Task ProbeAsync(BackupTarget target, NetworkCredential? credential, CancellationToken ct);
}
