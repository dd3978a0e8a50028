using System.Collections.Concurrent;
using System.Management.Automation;
using PsBackup.Engine;

namespace PsBackup.Infrastructure;

/// <summary>
/// Engine work runs on the thread pool, but PowerShell only accepts WriteObject/WriteError/
/// WriteProgress from the pipeline thread. The bridge queues those calls and replays them on
/// the pipeline thread while the work runs.
/// </summary>
internal sealed class PipelineBridge : IProgress<BackupProgress>, IDisposable
{
    private const int ActivityId = 0x5053; // "PS"
    private readonly BlockingCollection<Action<Cmdlet>> _queue = new();
    private string? _activity;

    public void Report(BackupProgress value) => _queue.Add(cmdlet =>
    {
        _activity = SecretMasker.Hide(value.Activity);
        cmdlet.WriteProgress(new ProgressRecord(ActivityId, _activity, SecretMasker.Hide(value.Status))
        {
            PercentComplete = value.PercentComplete,
            CurrentOperation = SecretMasker.Hide(value.CurrentItem) ?? "",
        });
    });

    public void Dispose() => _queue.Dispose();

    public void Output(object value) => _queue.Add(cmdlet => cmdlet.WriteObject(value));

    public void Warning(string message) => _queue.Add(cmdlet => cmdlet.WriteWarning(SecretMasker.Hide(message)));

    public void Error(ErrorRecord record) => _queue.Add(cmdlet => cmdlet.WriteError(record));

    /// <summary>Runs <paramref name="work"/> and pumps its queued calls on the calling (pipeline) thread; rethrows its exception.</summary>
    public void Run(Cmdlet cmdlet, Func<Task> work)
    {
        var task = Task.Run(async () =>
        {
            try { await work().ConfigureAwait(false); }
            finally { _queue.CompleteAdding(); }
        });
        foreach (var call in _queue.GetConsumingEnumerable())
            call(cmdlet);
        if (_activity != null)
            cmdlet.WriteProgress(new ProgressRecord(ActivityId, _activity, "Done") { RecordType = ProgressRecordType.Completed });
        task.GetAwaiter().GetResult();
    }
}
