using PsBackup.Engine.Crypto;

namespace PsBackup.Engine;

/// <summary>Tunables of the engine; the defaults are what the module uses.</summary>
public sealed class EngineOptions
{
    /// <summary>How long a collection lock holds without a heartbeat.</summary>
    public TimeSpan LockLease { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>PBKDF2 iterations for new encrypted collections.</summary>
    public int KdfIterations { get; init; } = KeyWrapping.DefaultIterations;

    public const string PassphraseVariable = "PSBACKUP_PASSPHRASE";
}
