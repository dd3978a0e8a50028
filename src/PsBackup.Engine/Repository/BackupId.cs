using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

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

    public static bool IsValid(string id) => Pattern().IsMatch(id);

    public static string TypeName(BackupType type) => type == BackupType.Full ? "full" : "incremental";

    [GeneratedRegex("^[0-9]{8}T[0-9]{6}Z_(full|incremental)_[0-9a-f]{8}$")]
    private static partial Regex Pattern();
}
