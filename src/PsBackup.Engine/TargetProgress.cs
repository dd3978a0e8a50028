namespace PsBackup.Engine;

/// <summary>
/// The progress sink a target's context hands its provider: every report names the target, and
/// verbose messages pass through, so providers need not know either.
/// </summary>
internal sealed class TargetProgress(IProgress<BackupProgress> inner, string target) : IVerboseProgress
{
    public static IProgress<BackupProgress>? For(IProgress<BackupProgress>? inner, string target) =>
        inner == null ? null : new TargetProgress(inner, target);

    public void Report(BackupProgress value) => inner.Report(value with { Target = target });

    public void Verbose(string message) => inner.Verbose(message);
}
