using System.Globalization;
using PsBackup.Engine.Providers.Capabilities;
using PsBackup.Engine.Storage;

namespace PsBackup.Engine.Providers.PostgreSql.Cluster;

/// <summary>
/// WAL expiry (Invoke-RetentionPolicy): every archived file whose position no kept backup needs
/// (<see cref="WalNeeds"/>) is removable — segments, .partial and .backup files, and data objects
/// an archiver left without an entry. A timeline history file is removable once every kept
/// backup and every remaining file is on a later timeline. Removal records the stretch in
/// <see cref="WalExpiryRecord"/> first, then deletes each file's entry before its data.
/// </summary>
internal static class WalRetention
{
    /// <summary>A stretch of the plan, with the objects to delete (entries first) and what the expiry record needs.</summary>
    internal sealed record WalRange(string Label, IReadOnlyList<string> Names, long StoredBytes, DateTimeOffset Archived, bool Remove, IReadOnlyList<string> Reasons)
        : ArchivedLogRange(Label, Names, StoredBytes, Archived, Remove, Reasons)
    {
        public IReadOnlyList<string> Keys { get; init; } = [];

        /// <summary>First and last positioned file (null for timeline history files).</summary>
        public (string First, string Last)? Positions { get; init; }

        public long SegmentSize { get; init; }
        public ulong KeepFrom { get; init; }
    }

    public static async Task<IReadOnlyList<ArchivedLogRange>> PlanAsync(CollectionScope scope, ArchivedLogRetention request, CancellationToken ct)
    {
        var listing = await WalListing.ReadAsync(scope.Repository.Store, scope.Name, ct).ConfigureAwait(false);
        return listing.Files.Count == 0 ? [] : Plan(listing, WalNeeds.Of(request, out var why), why);
    }

    public static List<WalRange> Plan(WalListing listing, WalNeeds? needs, string why)
    {
        if (needs == null)
            return [Range(listing.Files.ToList(), remove: false, [why], null)];
        var size = needs.SegmentSize;
        var positioned = listing.Files.Where(f => !WalFileName.IsHistory(f.Key))
            .Select(f => (File: f, Position: WalPosition.Of(f.Key, size)!.Value))
            .OrderBy(f => f.Position).ThenBy(f => f.File.Key, StringComparer.Ordinal).ToList();

        var ranges = new List<WalRange>();
        for (var i = 0; i < positioned.Count;)
        {
            var needed = needs.Needs.Any(n => n.Covers(positioned[i].Position));
            var j = i;
            while (j + 1 < positioned.Count && needs.Needs.Any(n => n.Covers(positioned[j + 1].Position)) == needed) j++;
            var (first, last) = (positioned[i].Position, positioned[j].Position);
            var run = positioned.GetRange(i, j - i + 1).Select(p => p.File).ToList();
            ranges.Add(needed
                ? Range(run, remove: false, KeptBecause(needs, first, last), null)
                : Range(run, remove: true, [RemovableBecause(needs, first, last)], needs) with { Positions = (run[0].Key, run[^1].Key) });
            i = j + 1;
        }

        // History files: needed while a kept backup or a remaining file is on their timeline or an earlier one.
        var oldest = positioned.Where(p => needs.Needs.Any(n => n.Covers(p.Position))).Select(p => WalFileName.Timeline(p.File.Key)).Append(needs.OldestTimeline).Min();
        var histories = listing.Files.Where(f => WalFileName.IsHistory(f.Key)).ToList();
        var old = histories.Where(h => WalFileName.Timeline(h.Key) < oldest).ToList();
        if (old.Count > 0)
            ranges.Add(Range(old, remove: true, [$"timeline history before timeline {oldest}: every kept backup and remaining WAL file is on timeline {oldest} or later"], needs));
        if (histories.Count > old.Count)
            ranges.Add(Range([.. histories.Except(old)], remove: false, ["timeline history of the kept WAL"], null));
        return ranges;
    }

    /// <summary>Removes one planned stretch: the expiry record first, then each file's entry before its data.</summary>
    public static async Task RemoveAsync(CollectionScope scope, ArchivedLogRange range, CancellationToken ct)
    {
        var wal = (WalRange)range;
        var store = scope.Repository.Store;
        if (wal.Positions is { } positions)
            await WalExpiryRecord.AddAsync(store, scope.Name, [positions], DateTimeOffset.UtcNow, wal.KeepFrom, wal.SegmentSize, ct).ConfigureAwait(false);
        foreach (var key in wal.Keys)
            await store.DeleteAsync(key, ct).ConfigureAwait(false);
    }

    private static WalRange Range(List<KeyValuePair<string, WalObjects>> files, bool remove, IReadOnlyList<string> reasons, WalNeeds? needs) =>
        new(files.Count == 1 ? files[0].Key : $"{files[0].Key}..{files[^1].Key}", [.. files.Select(f => f.Key)],
            files.Sum(f => f.Value.StoredBytes), files.Min(f => f.Value.Written), remove, reasons)
        {
            Keys = remove ? [.. files.SelectMany(f => f.Value.KeysEntryFirst)] : [],
            SegmentSize = needs?.SegmentSize ?? 0,
            KeepFrom = needs?.Oldest ?? 0,
        };

    /// <summary>The reasons of the needs that reach into positions first..last (a long list is shortened).</summary>
    private static List<string> KeptBecause(WalNeeds needs, ulong first, ulong last)
    {
        var reasons = needs.Needs.Where(n => n.From <= last && (n.To == null || n.To >= first)).OrderBy(n => n.From).Select(n => n.Reason).Distinct().ToList();
        return reasons.Count <= 4 ? reasons : [.. reasons.Take(3), $"and {(reasons.Count - 3).ToString(CultureInfo.InvariantCulture)} more kept backups"];
    }

    private static string RemovableBecause(WalNeeds needs, ulong first, ulong last)
    {
        var before = needs.Needs.Where(n => n.To < first).MaxBy(n => n.To);
        var after = needs.Needs.Where(n => n.From > last).MinBy(n => n.From)!;
        return before == null
            ? $"older than the start of base backup {after.BackupId}, the oldest WAL a kept backup needs"
            : $"after the WAL backup {before.BackupId} needs and before the WAL backup {after.BackupId} needs: no kept backup's restore or recovery window reads it";
    }
}
