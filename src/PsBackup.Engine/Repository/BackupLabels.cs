namespace PsBackup.Engine.Repository;

/// <summary>
/// backups/&lt;id&gt;/labels.json: what an admin says about a committed backup after the fact
/// (pinned, tags). A side object, because the manifest is written once and its integrity matters;
/// absent means not pinned and no tags.
/// </summary>
public sealed partial class BackupLabels
{
    /// <summary>Tags are what Set-Backup accepts; labels.json read back must hold only such tags.</summary>
    internal static bool IsValidTag(string? tag) => tag != null && TagPattern().IsMatch(tag);

    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._:@+=-]{0,99}\\z")]
    private static partial System.Text.RegularExpressions.Regex TagPattern();

    public const string FormatName = "psbackup-labels";

    public string Format { get; set; } = FormatName;
    public int Version { get; set; } = FormatVersion.Labels;

    /// <summary>A pinned backup is never deleted by retention (nor, through the chain rule, anything it needs).</summary>
    public bool Pinned { get; set; }

    public List<string> Tags { get; set; } = [];
    public DateTimeOffset Modified { get; set; }
}
