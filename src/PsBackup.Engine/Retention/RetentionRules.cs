using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Retention;

/// <summary>A <see cref="RetentionPolicy"/> checked and ready to apply: counts validated, time zone resolved.</summary>
public sealed class RetentionRules
{
    private RetentionRules(RetentionPolicy policy, TimeZoneInfo zone)
    {
        Last = policy.KeepLast;
        Hourly = policy.KeepHourly;
        Daily = policy.KeepDaily;
        Weekly = policy.KeepWeekly;
        Monthly = policy.KeepMonthly;
        Yearly = policy.KeepYearly;
        Within = policy.KeepWithin;
        LogWithin = policy.KeepLogWithin;
        Tags = new HashSet<string>(policy.KeepTags, StringComparer.OrdinalIgnoreCase);
        Zone = zone;
    }

    /// <summary>0: rule off; -1: every bucket; n: the n most recent buckets that hold a backup.</summary>
    public int Last { get; }
    public int Hourly { get; }
    public int Daily { get; }
    public int Weekly { get; }
    public int Monthly { get; }
    public int Yearly { get; }
    public TimeSpan? Within { get; }

    /// <summary>How far back a continuously archived log stays recoverable; null: from the oldest kept base backup on.</summary>
    public TimeSpan? LogWithin { get; }
    public IReadOnlySet<string> Tags { get; }
    public TimeZoneInfo Zone { get; }

    /// <summary>Validates <paramref name="policy"/>; <paramref name="timeZone"/> (when given) overrides the policy's zone.</summary>
    public static RetentionRules From(RetentionPolicy policy, string? timeZone = null)
    {
        foreach (var (name, value) in new[]
                 {
                     (nameof(policy.KeepLast), policy.KeepLast), (nameof(policy.KeepHourly), policy.KeepHourly),
                     (nameof(policy.KeepDaily), policy.KeepDaily), (nameof(policy.KeepWeekly), policy.KeepWeekly),
                     (nameof(policy.KeepMonthly), policy.KeepMonthly), (nameof(policy.KeepYearly), policy.KeepYearly),
                 })
            if (value < -1)
                throw Invalid($"{name} is {value}; use a count, 0 to switch the rule off, or -1 to keep every {name[4..].ToLowerInvariant()} backup.");
        if (policy.KeepWithin is { } within && within <= TimeSpan.Zero)
            throw Invalid($"KeepWithin is {within}; it must be a positive time span (e.g. 7.00:00:00 for 7 days).");
        if (policy.KeepLogWithin is { } logWithin && logWithin <= TimeSpan.Zero)
            throw Invalid($"KeepLogWithin is {logWithin}; it must be a positive time span (e.g. 7.00:00:00 for 7 days).");
        if (policy.KeepTags.Any(string.IsNullOrWhiteSpace))
            throw Invalid("KeepTags contains an empty tag.");
        if (policy.IsEmpty)
            throw Invalid("The policy sets no rule (KeepLast, KeepHourly, KeepDaily, KeepWeekly, KeepMonthly, KeepYearly, KeepWithin or KeepTags), so it would delete every backup but the pinned ones and the newest full. Set at least one rule.");
        return new RetentionRules(policy, ResolveZone(timeZone ?? policy.TimeZone));
    }

    /// <summary>An IANA ("Europe/Berlin") or Windows ("W. Europe Standard Time") id; null or empty: the local zone.</summary>
    public static TimeZoneInfo ResolveZone(string? id)
    {
        if (string.IsNullOrWhiteSpace(id)) return TimeZoneInfo.Local;
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            if (TimeZoneInfo.TryConvertWindowsIdToIanaId(id, out var iana) && TimeZoneInfo.TryFindSystemTimeZoneById(iana, out var zone))
                return zone;
            if (TimeZoneInfo.TryConvertIanaIdToWindowsId(id, out var windows) && TimeZoneInfo.TryFindSystemTimeZoneById(windows, out zone))
                return zone;
            throw new InvalidBackupRequestException("UnknownTimeZone",
                $"Time zone '{id}' is not known on this machine. Use an IANA id such as 'Europe/Berlin' or a Windows id such as 'W. Europe Standard Time' (Get-TimeZone -ListAvailable).");
        }
    }

    private static InvalidBackupRequestException Invalid(string message) => new("InvalidRetentionPolicy", "Retention policy: " + message);
}
