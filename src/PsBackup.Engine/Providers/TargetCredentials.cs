using System.Net;

namespace PsBackup.Engine.Providers;

/// <summary>
/// Credentials for database targets, given per call (Invoke-Backup/Restore-Backup -Credential,
/// -TargetCredential) and never stored in the repository. A target without one here uses its
/// engine's own defaults (environment variables, password files …).
/// </summary>
public sealed class TargetCredentials
{
    private readonly Dictionary<string, NetworkCredential> _byTarget = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Used for every target that has no credential of its own.</summary>
    public NetworkCredential? Default { get; init; }

    public TargetCredentials Add(string target, NetworkCredential credential)
    {
        _byTarget[target] = credential;
        return this;
    }

    public NetworkCredential? For(string target) => _byTarget.TryGetValue(target, out var credential) ? credential : Default;

    public static readonly TargetCredentials None = new();
}
