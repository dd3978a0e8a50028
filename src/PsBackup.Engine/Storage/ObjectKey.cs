using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Storage;

/// <summary>
/// What every store accepts as a key: '/'-separated, relative, with no empty, "." or ".."
/// component, no backslash and no control character. A key is a path below the repository's
/// root on a disk and below its prefix in a bucket (S3 clients and S3-compatible servers may
/// resolve dot segments), so a key outside these rules is refused before any I/O.
/// </summary>
public static class ObjectKey
{
    public static string Validate(string key) => IsValid(key, prefix: false) ? key : throw new UnsafeRepositoryKeyException(key);

    /// <summary>A listing prefix: a key, or a key followed by '/', or empty (the whole repository).</summary>
    public static string ValidatePrefix(string prefix) =>
        prefix.Length == 0 || IsValid(prefix, prefix: true) ? prefix : throw new UnsafeRepositoryKeyException(prefix);

    private static bool IsValid(string key, bool prefix)
    {
        if (key.Length == 0 || key.StartsWith('/') || key.Contains('\\') || key.Any(char.IsControl))
            return false;
        var parts = key.Split('/');
        if (prefix && parts[^1].Length == 0) parts = parts[..^1];
        return parts.All(part => part is not ("" or "." or ".."));
    }
}
