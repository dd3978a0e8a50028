using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Repository;

/// <summary>
/// collections/&lt;c&gt;/drills/&lt;backup id&gt;/&lt;drill id&gt;.json: the evidence of one restore drill
/// of one backup (Invoke-RestoreDrill): which targets were restored where, how long that took,
/// what was compared and how it ended. Written once, atomically, with a digest (docs/design.md,
/// "Restore drills"); retention keeps it with its backup and deletes it with it.
/// </summary>
public sealed partial class DrillRecord
{
    public const string FormatName = "psbackup-drill";
    public const int CurrentVersion = 1;

    internal static readonly DocumentType DocumentType = new("Drill record", FormatName, CurrentVersion, DigestSince: 1);

    public string Format { get; set; } = FormatName;
    public int Version { get; set; } = CurrentVersion;

    /// <summary>&lt;UTC yyyyMMddTHHmmssfffZ&gt;_&lt;8 hex&gt;: sorts by time (to the millisecond), like backup ids.</summary>
    public string Id { get; set; } = "";

    public string Collection { get; set; } = "";
    public string Backup { get; set; } = "";
    public DateTimeOffset StartTime { get; set; }
    public DateTimeOffset EndTime { get; set; }
    public string Host { get; set; } = "";
    public string User { get; set; } = "";
    public string Tool { get; set; } = "";

    /// <summary>The objectives given (-MaxRto, -MaxRpo), in seconds; null when none.</summary>
    public double? MaxRtoSeconds { get; set; }
    public double? MaxRpoSeconds { get; set; }

    public List<DrillTargetRecord> Targets { get; set; } = [];

    /// <summary>Failed when any target failed.</summary>
    public DrillStatus Status => Targets.TrueForAll(t => t.Status == DrillStatus.Passed) ? DrillStatus.Passed : DrillStatus.Failed;

    public static string NewId(DateTimeOffset start) =>
        $"{start.UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture)}_{Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant()}";

    public static bool IsValidId(string? id) => id != null && IdPattern().IsMatch(id);

    /// <summary>Everything a reader acts on: ids and names where they must be, statuses known, numbers in range.</summary>
    internal void Validate(string collection, string backup, string id, string location)
    {
        string? problem = null;
        if (Id != id) problem = $"its id '{Names.Printable(Id)}' is not its file name '{id}'";
        else if (Collection != collection) problem = $"it names collection '{Names.Printable(Collection)}', not '{collection}'";
        else if (Backup != backup) problem = $"it names backup '{Names.Printable(Backup)}', not '{backup}'";
        else if (Targets == null || Targets.Count == 0) problem = "it lists no target";
        else if (Targets.Find(t => !Names.IsValid(t.Name)) is { } badName) problem = $"target name '{Names.Printable(badName.Name)}' is not valid";
        else if (Targets.Find(t => t.RestoreSeconds < 0 || t.DurationSeconds < 0 || t.ChecksPassed < 0 || t.ChecksFailed < 0 || !Enum.IsDefined(t.Status)) is { } bad)
            problem = $"target '{bad.Name}' has a negative time or count, or an unknown status";
        if (problem != null)
            throw new DocumentCorruptException($"Drill record at '{location}' is not valid: {problem}. It is not trusted.") { TargetObject = id };
    }

    [GeneratedRegex("^[0-9]{8}T[0-9]{9}Z_[0-9a-f]{8}\\z")]
    private static partial Regex IdPattern();
}

/// <summary>One target of a drill record: times in seconds, checks as compared.</summary>
public sealed class DrillTargetRecord
{
    public string Name { get; set; } = "";

    /// <summary>The kind's name (stored camelCase, as in manifests).</summary>
    [Newtonsoft.Json.JsonConverter(typeof(KindNameConverter))]
    public string Kind { get; set; } = "";

    public DrillStatus Status { get; set; }
    public string Reason { get; set; } = "";
    public string? ErrorId { get; set; }
    public DateTimeOffset StartTime { get; set; }

    /// <summary>The recovery time measured (RTO): restore plus start-up, seconds.</summary>
    public double RestoreSeconds { get; set; }

    /// <summary>The whole drill of this target, clean-up included, seconds.</summary>
    public double DurationSeconds { get; set; }

    public DateTimeOffset? RestoredPointInTime { get; set; }

    /// <summary>The recovery point measured (RPO): end of the restore minus the restored point in time, seconds.</summary>
    public double? DataLossSeconds { get; set; }

    /// <summary>How far a point-in-time kind recovered; absent for the others.</summary>
    public string? Recovery { get; set; }

    /// <summary>Where the data was restored (credentials masked).</summary>
    public string RestoredTo { get; set; } = "";
    public bool Kept { get; set; }

    public int ChecksPassed { get; set; }
    public int ChecksFailed { get; set; }
    public List<DrillCheckRecord> Checks { get; set; } = [];
}

public sealed class DrillCheckRecord
{
    public string Name { get; set; } = "";
    public string Expected { get; set; } = "";
    public string Observed { get; set; } = "";
    public bool Passed { get; set; }
}
