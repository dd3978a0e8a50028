using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Repository;

/// <summary>
/// Versions of the repository's documents. A reader refuses a document of a newer version
/// before it changes anything, because it cannot know what that version means.
/// </summary>
internal static class FormatVersion
{
    public const int Repository = 1;
    public const int Collection = 1;
    public const int Manifest = 1;
    public const int FileIndex = 2;
    public const int Labels = 1;

    public static void Check(string what, string format, string expectedFormat, int version, int supported, string location)
    {
        if (format != expectedFormat)
            throw new RepositoryFormatException($"{what} at '{location}' has format '{format}', expected '{expectedFormat}'.");
        if (version > supported)
            throw new RepositoryFormatException(
                $"{what} at '{location}' was written by a newer PsBackup (format version {version}; this version reads up to {supported}). Upgrade the PsBackup module; nothing was changed.");
        if (version < 1)
            throw new RepositoryFormatException($"{what} at '{location}' has an invalid format version {version}.");
    }
}
