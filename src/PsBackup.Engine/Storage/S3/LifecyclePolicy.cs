using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Storage.S3;

/// <summary>
/// What PsBackup's lifecycle does to a repository's backups: move their data objects to colder
/// storage classes some days after they were written, and expire the backups.
/// </summary>
/// <param name="Transitions">Storage class → days after the object was written.</param>
/// <param name="ExpireAfterDays">Days after which a backup expires; null: never.</param>
public sealed record LifecyclePolicy(IReadOnlyDictionary<string, int> Transitions, int? ExpireAfterDays)
{
    /// <summary>
    /// The classes a lifecycle rule can move objects to, in S3's order (objects only ever move
    /// down this list), with S3's rules: the fewest days after writing a transition may take, and
    /// the minimum storage duration (leaving a class earlier is charged as if the object had stayed).
    /// </summary>
    internal static readonly IReadOnlyList<(string StorageClass, int MinimumAge, int MinimumStay)> Tiers =
    [
        ("STANDARD_IA", 30, 30),
        ("INTELLIGENT_TIERING", 0, 0),
        ("ONEZONE_IA", 30, 30),
        ("GLACIER_IR", 0, 90),
        ("GLACIER", 0, 90),
        ("DEEP_ARCHIVE", 0, 180),
    ];

    /// <summary>The transitions in S3's order (which validation makes the order of their days).</summary>
    internal IEnumerable<(string StorageClass, int Days)> Ordered =>
        Tiers.Where(t => Transitions.ContainsKey(t.StorageClass)).Select(t => (t.StorageClass, Transitions[t.StorageClass]));

    /// <summary>Refuses, with what to change, a policy S3 would refuse or charge extra for.</summary>
    public void Validate()
    {
        if (Transitions.Count == 0 && ExpireAfterDays == null)
            throw Invalid("Nothing to set: give at least one -TransitionTo…Days or -ExpireAfterDays (Remove-BackupStorageLifecycle removes PsBackup's rules).");
        foreach (var (storageClass, days) in Transitions)
        {
            var tier = Tiers.FirstOrDefault(t => t.StorageClass == storageClass);
            if (tier.StorageClass == null)
                throw new InvalidBackupRequestException("InvalidStorageClass",
                    $"'{storageClass}' is not a storage class a lifecycle rule can move objects to; use one of {string.Join(", ", Tiers.Select(t => t.StorageClass))}.");
            if (days < tier.MinimumAge)
                throw Invalid(tier.MinimumAge == 0
                    ? $"The transition to {storageClass} is on day {days}: days count from when an object was written and cannot be negative."
                    : $"The transition to {storageClass} is on day {days}, but S3 moves objects to {storageClass} no earlier than {tier.MinimumAge} days after they were written.");
        }
        (string StorageClass, int Days)? previous = null;
        foreach (var current in Ordered)
        {
            if (previous is { } p)
            {
                if (current.Days <= p.Days)
                    throw Invalid($"The transition to {current.StorageClass} (day {current.Days}) must come after the transition to {p.StorageClass} (day {p.Days}): S3 only moves objects to colder classes, and {current.StorageClass} is colder.");
                CheckStay(p, current.Days, $"the transition to {current.StorageClass}");
            }
            previous = current;
        }
        if (ExpireAfterDays is { } expire)
        {
            if (expire < 1)
                throw Invalid($"-ExpireAfterDays {expire}: backups can expire 1 day after they were written at the earliest.");
            if (previous is { } last)
            {
                if (expire <= last.Days)
                    throw Invalid($"Backups would expire (day {expire}) before or when they move to {last.StorageClass} (day {last.Days}): expiration must come after the last transition.");
                CheckStay(last, expire, "expiration");
            }
        }
    }

    private static void CheckStay((string StorageClass, int Days) from, int nextDay, string next)
    {
        var stay = Tiers.First(t => t.StorageClass == from.StorageClass).MinimumStay;
        if (nextDay < from.Days + stay)
            throw Invalid($"Objects must stay in {from.StorageClass} at least {stay} days (S3's minimum storage duration; leaving earlier is charged as if they had stayed): " +
                $"{next} is on day {nextDay}, it must be on day {from.Days + stay} or later.");
    }

    private static InvalidBackupRequestException Invalid(string message) => new("InvalidLifecycleRule", message);
}
