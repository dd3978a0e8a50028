namespace PsBackup.Engine.Repository;

/// <summary>
/// collections/&lt;c&gt;/runs/&lt;name&gt;.json: one run of an operation on the collection (docs/design.md,
/// "Run journal"). Written once, create-if-absent, never rewritten; its name
/// (<see cref="RunRecordName"/>) repeats its end time, operation and outcome so counting runs needs
/// a listing only.
/// </summary>
public sealed class RunRecord
{
    public const string FormatName = "psbackup-run";

    /// <summary>Version 1 carries a digest like every format 2 document.</summary>
    internal static readonly DocumentType Type = new("Run record", FormatName, 1, 1);

    /// <summary>Longest message kept: a journal entry is small.</summary>
    public const int MaxMessage = 1000;

    public string Format { get; set; } = FormatName;
    public int Version { get; set; } = 1;
    public RunOperation Operation { get; set; }
    public string Collection { get; set; } = "";
    public RunOutcome Outcome { get; set; }
    public DateTimeOffset Started { get; set; }
    public DateTimeOffset Ended { get; set; }
    public double DurationSeconds { get; set; }
    public string? ErrorId { get; set; }
    public string? Message { get; set; }
    public string? BackupId { get; set; }

    /// <summary>Where the run went: a copy's destination repository, a drill's scratch place (secrets masked).</summary>
    public string? Target { get; set; }

    /// <summary>Bytes of data the run handled (see <see cref="BackupRun.SizeBytes"/>).</summary>
    public long? Bytes { get; set; }

    public long? StoredBytes { get; set; }
    public int? Items { get; set; }
    public int? FailedItems { get; set; }

    /// <summary>
    /// Numbers a runner measured beside the common fields, camelCase names in base units: a drill's
    /// <c>restoreDurationSeconds</c> and <c>dataLossSeconds</c>. Readers ignore names they do not know.
    /// </summary>
    public SortedDictionary<string, double>? Facts { get; set; }

    public string Host { get; set; } = Environment.MachineName;
    public string User { get; set; } = Environment.UserName;
    public string Tool { get; set; } = "";
}
