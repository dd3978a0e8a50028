using System.Runtime.CompilerServices;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Operations;

/// <summary>
/// Wraps an operation so that every run of it, however it ends, leaves one record in the run
/// journal of its collection (<see cref="RunJournal"/>). The operation runs unchanged; the record
/// is written after it, in its own short write, and a record that cannot be written is a warning.
/// </summary>
internal static class JournaledRuns
{
    /// <summary>
    /// A run returning one result: <paramref name="describe"/> fills the record from the result
    /// (outcome Succeeded unless it says Partial); an exception records Failed (Cancelled when cancelled) and is rethrown.
    /// </summary>
    public static async Task<T> RunAsync<T>(RepositoryAddress? repository, string collection, RunOperation operation, Func<Task<T>> run,
        Action<RunRecord, T> describe, IProgress<BackupProgress>? progress, CancellationToken ct)
    {
        var record = Start(collection, operation);
        try
        {
            var result = await run().ConfigureAwait(false);
            describe(record, result);
            await FinishAsync(repository, record, null, progress).ConfigureAwait(false);
            return result;
        }
        catch (Exception e)
        {
            await FinishAsync(repository, record, e, progress).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// A run yielding items: every item passes through; when the run ends (or the consumer stops
    /// taking items: Cancelled), <paramref name="describe"/> fills one record per collection from its items.
    /// </summary>
    public static async IAsyncEnumerable<T> RunAsync<T>(RepositoryAddress? repository, string? collection, Func<T, string> collectionOf, RunOperation operation,
        IAsyncEnumerable<T> run, Action<RunRecord, IReadOnlyList<T>> describe, IProgress<BackupProgress>? progress, [EnumeratorCancellation] CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        var items = new List<T>();
        Exception? error = null;
        var finished = false;
        await using var enumerator = run.GetAsyncEnumerator(ct);
        try
        {
            while (true)
            {
                T item;
                try
                {
                    if (!await enumerator.MoveNextAsync().ConfigureAwait(false)) break;
                    item = enumerator.Current;
                }
                catch (Exception e)
                {
                    error = e;
                    throw;
                }
                items.Add(item);
                yield return item;
            }
            finished = true;
        }
        finally
        {
            var groups = items.GroupBy(collectionOf).ToDictionary(g => g.Key, g => (IReadOnlyList<T>)g.ToList());
            if (groups.Count == 0 && collection != null && !collection.Contains('*') && !collection.Contains('?'))
                groups[collection] = [];
            foreach (var (name, ofCollection) in groups)
            {
                var record = Start(name, operation);
                record.Started = started;
                describe(record, ofCollection);
                var cause = error ?? (finished ? null : new OperationCanceledException("The pipeline stopped taking the run's output."));
                await FinishAsync(repository, record, cause, progress).ConfigureAwait(false);
            }
        }
    }

    private static RunRecord Start(string collection, RunOperation operation) =>
        new() { Collection = collection, Operation = operation, Started = DateTimeOffset.UtcNow, Outcome = RunOutcome.Succeeded };

    /// <summary>Sets the end, and the outcome of a run that threw; writes the record. Never throws.</summary>
    private static async Task FinishAsync(RepositoryAddress? address, RunRecord record, Exception? error, IProgress<BackupProgress>? progress)
    {
        record.Ended = DateTimeOffset.UtcNow;
        record.DurationSeconds = (record.Ended - record.Started).TotalSeconds;
        if (error != null)
        {
            record.Outcome = error is OperationCanceledException && error is not LockLostException ? RunOutcome.Cancelled : RunOutcome.Failed;
            record.ErrorId ??= error switch
            {
                PsBackupException typed => typed.ErrorId,
                OperationCanceledException => "OperationCancelled",
                _ => error.GetType().Name,
            };
            record.Message ??= error.Message;
        }
        if (!Names.IsValid(record.Collection))
            return; // a wildcard or a name the operation itself refused: there is no journal to write to
        if (error is RepositoryFormatException)
        {
            // Written by a newer PsBackup: this version changes nothing in it, its journal included.
            progress.Verbose($"No run recorded for collection '{record.Collection}': {SecretMasker.Hide(error.Message)}");
            return;
        }
        try
        {
            // The run's own token may be cancelled (Ctrl+C): the record of a cancelled run is still written.
            using var repository = await CollectionAccess.OpenRepositoryAsync(address, CancellationToken.None).ConfigureAwait(false);
            await RunJournal.RecordAsync(repository, record, progress, ct: CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is PsBackupException or IOException or UnauthorizedAccessException)
        {
            progress.Verbose($"No run recorded for collection '{record.Collection}': {SecretMasker.Hide(e.Message)}");
        }
    }

    /// <summary>The outcome of a run of several items: Failed when all failed, Partial when some did.</summary>
    public static RunOutcome OutcomeOf(int items, int failed) => failed == 0 ? RunOutcome.Succeeded : failed >= items ? RunOutcome.Failed : RunOutcome.Partial;
}
