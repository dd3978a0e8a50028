using System.Collections.Concurrent;
using System.Management.Automation;
using PsBackup.Engine;

namespace PsBackup.Infrastructure;

/// <summary>
/// Engine work runs on the thread pool, but PowerShell only accepts WriteObject/WriteError/
/// WriteProgress/WriteVerbose from the pipeline thread. The bridge queues those calls and replays
/// them on the pipeline thread while the work runs.
/// </summary>
internal sealed class PipelineBridge : IVerboseProgress, IDisposable
{
    private const int ActivityId = 0x5053; // "PS"; several collections at once: one bar each, from here up
    private readonly BlockingCollection<Action<Cmdlet>> _queue = new();
    private readonly Dictionary<string, (int Id, string Activity)> _bars = new(StringComparer.Ordinal);

    public void Report(BackupProgress value) => _queue.Add(cmdlet =>
    {
        var key = value.Collection ?? "";
        var id = _bars.TryGetValue(key, out var bar) ? bar.Id : ActivityId + _bars.Count;
        _bars[key] = (id, SecretMasker.Hide(value.Activity));
        cmdlet.WriteProgress(new ProgressRecord(id, SecretMasker.Hide(value.Activity), SecretMasker.Hide(value.Status))
        {
            PercentComplete = value.PercentComplete,
            CurrentOperation = SecretMasker.Hide(value.CurrentItem) ?? "",
        });
    });

    public void Verbose(string message) => _queue.Add(cmdlet => cmdlet.WriteVerbose(SecretMasker.Hide(message)));

    public void Dispose() => _queue.Dispose();

    public void Output(object value) => _queue.Add(cmdlet => cmdlet.WriteObject(value));

    public void Warning(string message) => _queue.Add(cmdlet => cmdlet.WriteWarning(SecretMasker.Hide(message)));

    public void Error(ErrorRecord record) => _queue.Add(cmdlet => cmdlet.WriteError(record));

    /// <summary>
    /// Runs <paramref name="action"/> on the pipeline thread (a user's script block must run there)
    /// and completes when it has; its exception comes back through the task.
    /// </summary>
    public Task InvokeAsync(Action<Cmdlet> action)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Add(cmdlet =>
        {
            try
            {
                action(cmdlet);
                done.SetResult();
            }
            catch (Exception e) when (e is not PipelineStoppedException)
            {
                done.SetException(e);
            }
        });
        return done.Task;
    }

    /// <summary>
    /// Runs <paramref name="work"/> and pumps its queued calls on the calling (pipeline) thread;
    /// rethrows its exception. When the pipeline stops taking output first (Select-Object -First n
    /// downstream, Ctrl+C), cancels the work through <paramref name="cancel"/> and waits for it
    /// (so it cleans up), then lets the pipeline's exception go on. Either way the progress bar
    /// is completed, so it does not stay on screen after the cmdlet.
    /// </summary>
    public void Run(Cmdlet cmdlet, Func<Task> work, CancellationTokenSource cancel)
    {
        var task = Task.Run(async () =>
        {
            try { await work().ConfigureAwait(false); }
            finally { _queue.CompleteAdding(); }
        });
        try
        {
            foreach (var call in _queue.GetConsumingEnumerable())
                call(cmdlet);
        }
        catch
        {
            cancel.Cancel();
            try { task.Wait(); }
            catch (AggregateException) { /* cancelled or failed after nobody listens: the pipeline's exception wins */ }
            throw;
        }
        finally
        {
            CompleteProgress(cmdlet);
        }
        task.GetAwaiter().GetResult();
    }

    private void CompleteProgress(Cmdlet cmdlet)
    {
        try
        {
            foreach (var (id, activity) in _bars.Values)
                cmdlet.WriteProgress(new ProgressRecord(id, activity, "Done") { RecordType = ProgressRecordType.Completed });
        }
        catch (PipelineStoppedException)
        {
            // Ctrl+C: the host clears its progress display itself.
        }
        _bars.Clear();
    }
}
