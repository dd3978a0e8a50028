using System.Management.Automation;
using System.Net;
using System.Security;
using PsBackup.Engine;
using PsBackup.Engine.Errors;

namespace PsBackup.Infrastructure;

/// <summary>
/// Base of every PsBackup cmdlet: runs engine work off the pipeline thread, turns Ctrl+C
/// (StopProcessing) into cancellation, and engine errors into non-terminating ErrorRecords,
/// so one failing input does not stop the rest of the pipeline.
/// </summary>
public abstract class PsBackupCmdlet : PSCmdlet
{
    private readonly CancellationTokenSource _stopping = new();

    protected override void StopProcessing() => _stopping.Cancel();

    /// <summary>Runs engine work for one input; engine errors become non-terminating errors about <paramref name="target"/>.</summary>
    internal void RunEngine(object? target, Func<BackupEngine, PipelineBridge, CancellationToken, Task> work)
    {
        var bridge = new PipelineBridge();
        try
        {
            bridge.Run(this, () => work(new BackupEngine(), bridge, _stopping.Token));
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (PsBackupException error)
        {
            WriteError(ErrorMapping.ToRecord(error, target));
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // The repository or destination itself failed (disk full, permissions): this input fails, the pipeline goes on.
            WriteError(ErrorMapping.ToRecord(error, target));
        }
    }

    /// <summary>A path as typed (relative to the current location, with ~ and PSDrives) as a file-system path.</summary>
    internal string ResolvePath(string path) => GetUnresolvedProviderPathFromPSPath(path);

    protected static string? PlainText(SecureString? secret) => secret == null ? null : new NetworkCredential("", secret).Password;
}
