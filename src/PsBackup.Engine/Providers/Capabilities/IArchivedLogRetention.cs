using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers.Capabilities;

/// <summary>
/// A kind whose continuously archived log (<see cref="IPointInTimeRecovery"/>) can expire:
/// Invoke-RetentionPolicy asks it which stretches of the log the kept backups no longer need,
/// shows them in its plan, and has it remove the approved ones under the collection's lock.
/// </summary>
public interface IArchivedLogRetention
{
    /// <summary>The collection's archived log in stretches, each kept (with why) or removable (with why). Reads only.</summary>
    Task<IReadOnlyList<ArchivedLogRange>> PlanLogRetentionAsync(CollectionScope scope, ArchivedLogRetention request, CancellationToken ct);

    /// <summary>
    /// Removes the files of a removable stretch of a plan made under the collection's lock: it first
    /// records that they are removed on purpose, then deletes each file's commit point before its
    /// data, so an interruption leaves only unneeded leftovers that the next run removes.
    /// </summary>
    Task RemoveLogAsync(CollectionScope scope, ArchivedLogRange range, CancellationToken ct);
}

/// <summary>What the log's retention is judged by: the backups that stay, which of them are pinned, the log window to keep, the clock.</summary>
public sealed record ArchivedLogRetention(IReadOnlyList<BackupManifest> Kept, IReadOnlySet<string> Pinned, TimeSpan? KeepWithin, DateTimeOffset Now);

/// <summary>
/// A stretch of consecutive archived log files that retention keeps or removes, with every reason.
/// <see cref="Names"/> are the log's own file names, oldest first; a stretch planned under the lock is
/// removed only when all its files lie in one the caller approved. A kind may derive from it to carry
/// what it needs to remove the stretch.
/// </summary>
public record ArchivedLogRange(string Label, IReadOnlyList<string> Names, long StoredBytes, DateTimeOffset Archived, bool Remove, IReadOnlyList<string> Reasons);
