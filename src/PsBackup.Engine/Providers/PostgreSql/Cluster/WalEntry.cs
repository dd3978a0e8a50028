namespace PsBackup.Engine.Providers.PostgreSql.Cluster;

/// <summary>
/// collections/&lt;c&gt;/wal/&lt;timeline&gt;/&lt;name&gt;.json: the commit point of one archived WAL file,
/// written (create-if-absent) after its data object. Size and SHA-256 are of the file as
/// PostgreSQL gave it; the commit times are what the segment's transactions recorded.
/// </summary>
public sealed class WalEntry
{
    public const string FormatName = "psbackup-wal";

    public string Format { get; set; } = FormatName;
    public int Version { get; set; } = CurrentVersion;

    /// <summary>2: the entry carries a digest (1: none).</summary>
    internal const int CurrentVersion = 2;

    internal static readonly Repository.DocumentType DocumentType = new("WAL entry", "psbackup-wal", CurrentVersion, DigestSince: 2);

    /// <summary>The file's name as PostgreSQL archived it (000000010000000000000003, 00000002.history …).</summary>
    public string Name { get; set; } = "";

    /// <summary>The data object, relative to the timeline's folder: &lt;name&gt;.&lt;8 hex&gt;&lt;suffix&gt;.</summary>
    public string Path { get; set; } = "";

    public long Size { get; set; }
    public long StoredSize { get; set; }
    public string Sha256 { get; set; } = "";
    public CompressionKind Compression { get; set; }
    public bool Encrypted { get; set; }
    public DateTimeOffset Archived { get; set; }
    public string Host { get; set; } = "";

    /// <summary>Earliest and latest commit (or abort) time in a segment; null when it holds none.</summary>
    public DateTimeOffset? FirstCommit { get; set; }
    public DateTimeOffset? LastCommit { get; set; }

    /// <summary>An entry read back must describe the file it is named for, with a data object beside it: else it is not trusted.</summary>
    internal void Validate(string name, string where)
    {
        var extension = Repository.ArtifactCodec.ExtensionFor(Compression, Encrypted);
        var path = Path ?? "";
        var valid = Name == name && Enum.IsDefined(Compression) && Size >= 0 && StoredSize >= 0
                    && Sha256 is { Length: 64 } && Sha256.All(char.IsAsciiHexDigit)
                    && path.Length == name.Length + 9 + extension.Length
                    && path.StartsWith(name + ".", StringComparison.Ordinal) && path.EndsWith(extension, StringComparison.Ordinal)
                    && path.Substring(name.Length + 1, 8).All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');
        if (!valid)
            throw new Errors.DocumentCorruptException($"WAL entry at '{where}' is not valid: it does not describe WAL file '{name}' and its data object. It is not trusted.") { TargetObject = name };
    }

    internal Repository.ArtifactRecord AsArtifact() => new() { Name = Name, Path = Path, Size = Size, StoredSize = StoredSize, Sha256 = Sha256 };
}
