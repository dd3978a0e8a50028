using System.Xml;
using Newtonsoft.Json.Linq;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Retention;

/// <summary>
/// The "retention" object of collection.json. Only the rules set are written; keepWithin is an
/// ISO 8601 duration ("P7D"). Applying a stored policy reads it strictly: a field this version
/// does not know (a newer PsBackup's rule, which might keep more) stops the run before anything
/// is deleted, instead of being ignored.
/// </summary>
public static class RetentionPolicyJson
{
    private static readonly string[] Counts = ["keepLast", "keepHourly", "keepDaily", "keepWeekly", "keepMonthly", "keepYearly"];
    private static readonly HashSet<string> Known = [.. Counts, "keepWithin", "keepLogWithin", "keepTags", "timeZone"];

    public static JObject ToJson(RetentionPolicy policy)
    {
        var json = new JObject();
        int[] values = [policy.KeepLast, policy.KeepHourly, policy.KeepDaily, policy.KeepWeekly, policy.KeepMonthly, policy.KeepYearly];
        for (var i = 0; i < Counts.Length; i++)
            if (values[i] != 0) json[Counts[i]] = values[i];
        if (policy.KeepWithin is { } within) json["keepWithin"] = XmlConvert.ToString(within);
        if (policy.KeepLogWithin is { } logWithin) json["keepLogWithin"] = XmlConvert.ToString(logWithin);
        if (policy.KeepTags.Length > 0) json["keepTags"] = new JArray(policy.KeepTags.Cast<object>().ToArray());
        if (policy.TimeZone != null) json["timeZone"] = policy.TimeZone;
        return json;
    }

    /// <summary>The stored policy; with <paramref name="strict"/>, unknown fields are an error (<c>RepositoryFormatUnsupported</c>).</summary>
    public static RetentionPolicy FromJson(JObject json, string collection, bool strict)
    {
        var unknown = json.Properties().Select(p => p.Name).Where(n => !Known.Contains(n)).ToList();
        if (strict && unknown.Count > 0)
            throw new RepositoryFormatException(
                $"Collection '{collection}' has a retention policy with field(s) {string.Join(", ", unknown)} that this PsBackup does not know (written by a newer version). Upgrade the PsBackup module; nothing was deleted.");
        try
        {
            var within = (string?)json["keepWithin"];
            var logWithin = (string?)json["keepLogWithin"];
            return new RetentionPolicy
            {
                KeepLast = (int?)json["keepLast"] ?? 0,
                KeepHourly = (int?)json["keepHourly"] ?? 0,
                KeepDaily = (int?)json["keepDaily"] ?? 0,
                KeepWeekly = (int?)json["keepWeekly"] ?? 0,
                KeepMonthly = (int?)json["keepMonthly"] ?? 0,
                KeepYearly = (int?)json["keepYearly"] ?? 0,
                KeepWithin = within == null ? null : XmlConvert.ToTimeSpan(within),
                KeepLogWithin = logWithin == null ? null : XmlConvert.ToTimeSpan(logWithin),
                KeepTags = json["keepTags"]?.ToObject<string[]>() ?? [],
                TimeZone = (string?)json["timeZone"],
            };
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException or Newtonsoft.Json.JsonException)
        {
            throw new RepositoryFormatException($"Collection '{collection}' has an invalid retention policy: {e.Message}");
        }
    }
}
