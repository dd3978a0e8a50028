using System.Runtime.CompilerServices;
using Newtonsoft.Json.Linq;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers;
using PsBackup.Engine.Providers.Capabilities;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Operations;

/// <summary>
/// Retention of continuously archived logs, for the kinds with <see cref="IArchivedLogRetention"/>:
/// planned from the backups that stay, shown as one decision per stretch, and applied after the
/// backups are deleted — judged again by the backups that actually stayed, so a declined backup
/// deletion keeps the log it needs.
/// </summary>
internal static class LogRetention
{
    /// <summary>One planned stretch and the kind that planned it.</summary>
    public sealed record Item(IArchivedLogRetention Kind, ArchivedLogRange Range);

    public static async Task<List<Item>> PlanAsync(BackupRepository repository, CollectionDefinition definition, IEnumerable<CommittedBackup> staying,
        TimeSpan? keepLogWithin, DateTimeOffset now, CancellationToken ct)
    {
        var stays = staying.ToList();
        var request = new ArchivedLogRetention([.. stays.Select(b => b.Manifest)], stays.Where(b => b.Labels.Pinned).Select(b => b.Manifest.Id).ToHashSet(StringComparer.Ordinal), keepLogWithin, now);
        var scope = new CollectionScope(repository, definition, null);
        var items = new List<Item>();
        foreach (var kind in Kinds(definition))
            items.AddRange((await kind.PlanLogRetentionAsync(scope, request, ct).ConfigureAwait(false)).Select(range => new Item(kind, range)));
        return items;
    }

    /// <summary>
    /// Removes the stretches that a plan of the backups still present removes and that lie wholly in a
    /// stretch of <paramref name="shown"/> the caller approved; yields a decision for every stretch.
    /// </summary>
    public static async IAsyncEnumerable<RetentionDecision> ApplyAsync(BackupRepository repository, CollectionDefinition definition, List<Item> shown,
        IEnumerable<CommittedBackup> stayed, TimeSpan? keepLogWithin, DateTimeOffset now, IReadOnlySet<string> approved,
        CollectionLock collectionLock, IProgress<BackupProgress>? progress, CancellationToken callerToken, [EnumeratorCancellation] CancellationToken ct)
    {
        var approvedFiles = shown.Where(i => i.Range.Remove && approved.Contains(i.Range.Label)).SelectMany(i => i.Range.Names).ToHashSet(StringComparer.Ordinal);
        var plan = await PlanAsync(repository, definition, stayed, keepLogWithin, now, ct).ConfigureAwait(false);
        var scope = new CollectionScope(repository, definition, null);
        var removing = plan.Where(i => i.Range.Remove && i.Range.Names.All(approvedFiles.Contains)).ToList();
        var done = 0;
        foreach (var item in plan)
        {
            if (!removing.Contains(item))
            {
                yield return Describe(item.Range, definition.Name, repository.Location,
                    item.Range.Remove ? "not removed: not approved, or the backups it depends on changed since the plan was shown" : null);
                continue;
            }
            progress?.Report(new BackupProgress(RetentionRunner.Operation, $"Removing archived log {item.Range.Label}", item.Range.Label, done, removing.Count));
            try
            {
                await collectionLock.EnsureHeldAsync(ct).ConfigureAwait(false);
                await item.Kind.RemoveLogAsync(scope, item.Range, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (collectionLock.Lost.IsCancellationRequested && !callerToken.IsCancellationRequested)
            {
                throw new LockLostException($"Collection '{definition.Name}': the lock was taken over during retention; it stopped while removing archived log {item.Range.Label}.");
            }
            done++;
            var decision = Describe(item.Range, definition.Name, repository.Location);
            decision.Deleted = true;
            yield return decision;
        }
    }

    public static RetentionDecision Describe(ArchivedLogRange range, string collection, string repository, string? note = null)
    {
        string[] reasons = note == null ? [.. range.Reasons] : [.. range.Reasons, note];
        return new RetentionDecision
        {
            Collection = collection,
            Repository = repository,
            StartTime = range.Archived,
            Action = range.Remove ? RetentionAction.Delete : RetentionAction.Keep,
            ReasonList = reasons,
            Reasons = string.Join("; ", reasons),
            StoredBytes = range.StoredBytes,
            LogRange = range.Label,
            LogFileCount = range.Names.Count,
        };
    }

    /// <summary>The collection's kinds that expire an archived log (kinds this version does not know are skipped, as retention does).</summary>
    private static IEnumerable<IArchivedLogRetention> Kinds(CollectionDefinition definition) =>
        definition.Targets.OfType<JObject>().Select(t => (string?)t["kind"]).Distinct()
            .Select(name => name != null && EngineKinds.TryFind(name, out var kind) ? kind as IArchivedLogRetention : null)
            .OfType<IArchivedLogRetention>();
}
