using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Repository;

/// <summary>
/// Backup ids name their folders: &lt;UTC yyyyMMddTHHmmssZ&gt;_&lt;full|incremental&gt;_&lt;8 hex&gt;, so an
/// ordinal sort is a time sort and `ls | sort | tail -1` is the latest.
/// </summary>
public static partial class BackupId
{
    private const string TimeFormat = "yyyyMMdd'T'HHmmss'Z'";

    public static string New(DateTimeOffset startTime, BackupType type) =>
        $"{startTime.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture)}_{TypeName(type)}_{Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant()}";

    public static bool IsValid(string? id) => id != null && Pattern().IsMatch(id) && TryTime(id, out _);

    /// <summary>Throws InvalidBackupId unless <paramref name="id"/> is a backup id.</summary>
    public static void Validate(string? id)
    {
        if (!IsValid(id))
            throw new InvalidBackupRequestException("InvalidBackupId",
                $"'{Names.Printable(id)}' is not a backup id (expected yyyyMMddTHHmmssZ_full|incremental_xxxxxxxx, e.g. 20261121T200019Z_full_c7ccebd4).")
            { TargetObject = id };
    }

    public static string TypeName(BackupType type) => type == BackupType.Full ? "full" : "incremental";

    /// <summary>The type the id names (its middle part).</summary>
    internal static BackupType TypeOf(string id) => id.Contains("_full_", StringComparison.Ordinal) ? BackupType.Full : BackupType.Incremental;

    /// <summary>The start time the id names (to the second).</summary>
    internal static DateTimeOffset TimeOf(string id) => TryTime(id, out var time) ? time : throw new ArgumentException($"'{id}' is not a backup id.", nameof(id));

    private static bool TryTime(string id, out DateTimeOffset time)
    {
        time = default;
        return id.Length > 16 && id[15] == 'Z' && UtcStamp.TryParse(id.AsSpan(0, 15), out time);
    }

    [GeneratedRegex("^[0-9]{8}T[0-9]{6}Z_(full|incremental)_[0-9a-f]{8}\\z")]
    private static partial Regex Pattern();
}
