using System.Globalization;

namespace PsBackup;

/// <summary>
/// Which backups Invoke-RetentionPolicy keeps, as restic's forget: the newest backup of each of
/// the N most recent hours, days, ISO weeks, months and years that have a backup (counted in
/// <see cref="TimeZone"/>), the newest <see cref="KeepLast"/>, every backup within
/// <see cref="KeepWithin"/> of the newest, and every backup carrying one of <see cref="KeepTags"/>.
/// 0 switches a rule off; -1 keeps every bucket. Pinned backups and what kept backups need are
/// always kept. Settable, with a parameterless constructor, so PowerShell builds one from a
/// hashtable: [PsBackup.RetentionPolicy]@{ KeepDaily = 30; KeepWeekly = 12 }.
/// </summary>
public sealed class RetentionPolicy
{
    public int KeepLast { get; set; }
    public int KeepHourly { get; set; }
    public int KeepDaily { get; set; }
    public int KeepWeekly { get; set; }
    public int KeepMonthly { get; set; }
    public int KeepYearly { get; set; }

    /// <summary>Keep every backup that started within this span before the newest backup (not before now, as restic).</summary>
    public TimeSpan? KeepWithin { get; set; }

    /// <summary>
    /// For kinds with a continuously archived log (PostgreSQL clusters' WAL): keep the log needed to
    /// recover to any moment within this span before now. Older kept backups keep only the log their
    /// own restore needs. Null: keep the log from the start of the oldest kept base backup on.
    /// </summary>
    public TimeSpan? KeepLogWithin { get; set; }

    /// <summary>Keep every backup that has at least one of these tags (Set-Backup -Tag). Null reads as none.</summary>
    public string[] KeepTags
    {
        get => _keepTags;
        set => _keepTags = value ?? [];
    }

    private string[] _keepTags = [];

    /// <summary>IANA or Windows time-zone id the calendar buckets are counted in; null: the local zone of the machine applying the policy.</summary>
    public string? TimeZone { get; set; }

    /// <summary>True when no rule is set: such a policy would keep nothing but pinned backups, so it is refused.</summary>
    public bool IsEmpty => KeepLast == 0 && KeepHourly == 0 && KeepDaily == 0 && KeepWeekly == 0 && KeepMonthly == 0 && KeepYearly == 0
                           && KeepWithin == null && KeepTags.Length == 0;

    public RetentionPolicy Clone()
    {
        var copy = (RetentionPolicy)MemberwiseClone();
        copy._keepTags = [.. _keepTags];
        return copy;
    }

    /// <summary>The rules set, e.g. "KeepDaily=30; KeepWeekly=12; KeepWithin=7.00:00:00" (what Export-Csv shows).</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        void Add(string name, int value)
        {
            if (value != 0) parts.Add($"{name}={value.ToString(CultureInfo.InvariantCulture)}");
        }
        Add(nameof(KeepLast), KeepLast);
        Add(nameof(KeepHourly), KeepHourly);
        Add(nameof(KeepDaily), KeepDaily);
        Add(nameof(KeepWeekly), KeepWeekly);
        Add(nameof(KeepMonthly), KeepMonthly);
        Add(nameof(KeepYearly), KeepYearly);
        if (KeepWithin is { } within) parts.Add($"{nameof(KeepWithin)}={within.ToString("c", CultureInfo.InvariantCulture)}");
        if (KeepLogWithin is { } log) parts.Add($"{nameof(KeepLogWithin)}={log.ToString("c", CultureInfo.InvariantCulture)}");
        if (KeepTags.Length > 0) parts.Add($"{nameof(KeepTags)}={string.Join(",", KeepTags)}");
        if (TimeZone != null) parts.Add($"{nameof(TimeZone)}={TimeZone}");
        return string.Join("; ", parts);
    }
}
