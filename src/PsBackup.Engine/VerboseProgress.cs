namespace PsBackup.Engine;

/// <summary>
/// A progress sink that also takes verbose messages: what an operation does, step by step (the
/// lock, each target, each artifact, the commit). The cmdlets' pipeline bridge implements it and
/// writes them with WriteVerbose; other callers pass a plain IProgress and get none.
/// </summary>
public interface IVerboseProgress : IProgress<BackupProgress>
{
    void Verbose(string message);

    /// <summary>Something the user should know that did not fail the operation (the cmdlets write it with WriteWarning).</summary>
    void Warning(string message) => Verbose("WARNING: " + message);
}

internal static class VerboseProgressExtensions
{
    /// <summary>Sends a verbose message when the sink takes them.</summary>
    public static void Verbose(this IProgress<BackupProgress>? progress, string message)
    {
        if (progress is IVerboseProgress sink) sink.Verbose(message);
    }

    /// <summary>Sends a warning when the sink takes messages.</summary>
    public static void Warning(this IProgress<BackupProgress>? progress, string message)
    {
        if (progress is IVerboseProgress sink) sink.Warning(message);
    }
}
