using System.Runtime.CompilerServices;
using System.Threading.Channels;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Operations;

/// <summary>One collection of a several-collection backup: its result, or why it failed.</summary>
public sealed record CollectionBackupOutcome(string Collection, BackupRunResult? Result, Exception? Error);

/// <summary>
/// Invoke-Backup of several collections at once (several names, wildcards, piped collections):
/// names are expanded per repository (a wildcard that matches nothing is no error, an unknown
/// plain name is CollectionNotFound), each collection is backed up once, at most
/// <c>throttleLimit</c> at a time, and each outcome is reported as it finishes. A collection that
/// fails does not stop the others.
/// </summary>
internal sealed class CollectionsBackupRunner(EngineOptions options)
{
    public async IAsyncEnumerable<CollectionBackupOutcome> RunAsync(IReadOnlyList<BackupRequest> requests, int throttleLimit,
        IProgress<BackupProgress>? progress, [EnumeratorCancellation] CancellationToken ct)
    {
        var expanded = new List<BackupRequest>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var request in requests)
        {
            List<BackupCollectionInfo>? collections = null;
            Exception? error = null;
            try
            {
                collections = await CollectionManager.GetAsync(request.Repository, request.Collection, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (IsCollectionError(e))
            {
                error = e;
            }
            if (error != null)
            {
                yield return new CollectionBackupOutcome(request.Collection, null, error);
                continue;
            }
            foreach (var collection in collections!)
                if (seen.Add($"{collection.Repository}\n{collection.Name}"))
                    expanded.Add(request with { Collection = collection.Name });
        }

        var several = expanded.Count > 1;
        var outcomes = Channel.CreateUnbounded<CollectionBackupOutcome>();
        var gate = new SemaphoreSlim(Math.Max(1, throttleLimit)); // not disposed: a run abandoned with the enumeration may still release it
        var runs = expanded.Select(request => Task.Run(async () =>
        {
            await gate.WaitAsync(ct).ConfigureAwait(false);
            CollectionBackupOutcome outcome;
            try
            {
                var sink = several ? CollectionProgress.For(progress, request.Collection) : progress;
                outcome = new(request.Collection, await new BackupRunner(options).RunAsync(request, sink, ct).ConfigureAwait(false), null);
            }
            catch (Exception e) when (IsCollectionError(e))
            {
                outcome = new(request.Collection, null, e);
            }
            finally
            {
                gate.Release();
            }
            await outcomes.Writer.WriteAsync(outcome, ct).ConfigureAwait(false);
        }, ct)).ToArray();
        var all = Task.WhenAll(runs).ContinueWith(t => outcomes.Writer.Complete(
            t.IsCanceled ? new OperationCanceledException(ct) : t.Exception?.InnerException), TaskScheduler.Default);

        await foreach (var outcome in outcomes.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            yield return outcome;
        await all.ConfigureAwait(false);
    }

    /// <summary>Failures of one collection that leave the others to run: the engine's own errors and the repository's I/O.</summary>
    private static bool IsCollectionError(Exception e) => e is PsBackupException or IOException or UnauthorizedAccessException;

    /// <summary>Names the collection in every report and verbose message, so parallel backups can be told apart.</summary>
    private sealed class CollectionProgress(IProgress<BackupProgress> inner, string collection) : IVerboseProgress
    {
        public static IProgress<BackupProgress>? For(IProgress<BackupProgress>? inner, string collection) =>
            inner == null ? null : new CollectionProgress(inner, collection);

        public void Report(BackupProgress value) => inner.Report(value with { Collection = collection, Activity = $"{collection}: {value.Activity}" });

        public void Verbose(string message) => inner.Verbose($"[{collection}] {message}");

        public void Warning(string message) => inner.Warning($"[{collection}] {message}");
    }
}
