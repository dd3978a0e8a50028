using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Providers.Files;

/// <summary>
/// Paths read from an index are untrusted: a restore must never write outside its destination.
/// A valid path is relative, '/'-separated, with no empty, "." or ".." component.
/// </summary>
internal static class RelativePath
{
    public static void Validate(string path, string backupId)
    {
        var bad = path.Length == 0
                  || path.Contains('\0')
                  || path.StartsWith('/')
                  || (OperatingSystem.IsWindows() && (path.Contains('\\') || path.Contains(':')))
                  || path.Split('/').Any(part => part is "" or "." or "..");
        if (bad)
            throw new UnsafePathException(
                $"Backup '{backupId}' contains the path '{path}', which would escape or is not a plain relative path. Nothing was restored.")
            { TargetObject = path };
    }

    /// <summary>"a/b/c" → "a", "a/b".</summary>
    public static IEnumerable<string> Ancestors(string path)
    {
        for (var i = path.IndexOf('/'); i >= 0; i = path.IndexOf('/', i + 1))
            yield return path[..i];
    }
}
