using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Repository;

/// <summary>A kind of versioned document: its format name (null when it has none), the version this PsBackup writes, and from which version it carries a digest.</summary>
internal sealed record DocumentType(string Title, string? Format, int Current, int DigestSince = int.MaxValue)
{
    public static readonly DocumentType Repository = new("Repository config", "psbackup-repository", FormatVersion.Repository, 2);
    public static readonly DocumentType Collection = new("Collection definition", "psbackup-collection", FormatVersion.Collection, 2);
    public static readonly DocumentType Manifest = new("Manifest", "psbackup-manifest", FormatVersion.Manifest, 2);
    public static readonly DocumentType Labels = new("Labels", "psbackup-labels", FormatVersion.Labels, 2);
    public static readonly DocumentType Lock = new("Lock", "psbackup-lock", FormatVersion.Lock, 2);

    // Kinds declare the types of their own documents beside them (a log entry, an index, a schema)
    // and check them through FormatVersion.Check too. Artifacts are covered by their manifest's
    // SHA-256, so they carry no digest of their own.
}

/// <summary>
/// Versions of the repository's documents, and the one check every versioned document goes
/// through. A reader refuses a document of a newer version before it changes anything, because
/// it cannot know what that version means; older versions are read (docs/design.md).
/// </summary>
internal static class FormatVersion
{
    /// <summary>2: config, collection, manifest, labels and lock documents carry a digest (1: none).</summary>
    public const int Repository = 2;
    public const int Collection = 2;
    public const int Manifest = 2;
    public const int Labels = 2;
    public const int Lock = 2;

    /// <summary>The only format/version check: <paramref name="format"/> is ignored for document types without a format name.</summary>
    public static void Check(DocumentType type, string? format, int version, string what, string location)
    {
        if (type.Format != null && format != type.Format)
            throw new RepositoryFormatException($"{what} at '{location}' has format '{Names.Printable(format)}', expected '{type.Format}'.");
        if (version > type.Current)
            throw new RepositoryFormatException(
                $"{what} at '{location}' was written by a newer PsBackup (format version {version}; this version reads up to {type.Current}). Upgrade the PsBackup module; nothing was changed.");
        if (version < 1)
            throw new RepositoryFormatException($"{what} at '{location}' has an invalid format version {version}.");
    }
}
