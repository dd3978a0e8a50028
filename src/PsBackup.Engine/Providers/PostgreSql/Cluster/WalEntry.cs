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
    public int Version { get; set; } = 1;

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

    internal Repository.ArtifactRecord AsArtifact() => new() { Name = Name, Path = Path, Size = Size, StoredSize = StoredSize, Sha256 = Sha256 };
}
