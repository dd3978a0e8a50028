namespace PsBackup.Engine.Repository;

/// <summary>
/// backups/&lt;id&gt;/labels.json: what an admin says about a committed backup after the fact
/// (pinned, tags). A side object, because the manifest is written once and its integrity matters;
/// absent means not pinned and no tags.
/// </summary>
public sealed class BackupLabels
{
    public const string FormatName = "psbackup-labels";

    public string Format { get; set; } = FormatName;
    public int Version { get; set; } = FormatVersion.Labels;

    /// <summary>A pinned backup is never deleted by retention (nor, through the chain rule, anything it needs).</summary>
    public bool Pinned { get; set; }

    public List<string> Tags { get; set; } = [];
    public DateTimeOffset Modified { get; set; }
}
