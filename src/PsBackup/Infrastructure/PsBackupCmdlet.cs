using System.Management.Automation;
using System.Net;
using System.Security;
using PsBackup.Engine;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers;

namespace PsBackup.Infrastructure;

/// <summary>
/// Base of every PsBackup cmdlet: runs engine work off the pipeline thread, turns Ctrl+C
/// (StopProcessing) into cancellation, and engine errors into non-terminating ErrorRecords,
/// so one failing input does not stop the rest of the pipeline.
/// </summary>
public abstract class PsBackupCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>PowerShell disposes a cmdlet at the end of its pipeline.</summary>
    public void Dispose()
    {
        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }

    protected override void StopProcessing()
    {
        try { _stopping.Cancel(); }
        catch (ObjectDisposedException) { /* the pipeline already ended */ }
    }

    /// <summary>Runs engine work for one input; engine errors become non-terminating errors about <paramref name="target"/>.</summary>
    internal void RunEngine(object? target, Func<BackupEngine, PipelineBridge, CancellationToken, Task> work)
    {
        using var bridge = new PipelineBridge();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token); // also when the pipeline stops taking output
        try
        {
            bridge.Run(this, () => work(new BackupEngine(), bridge, cancel.Token), cancel);
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

    /// <summary>A path as typed, resolved if it can be one; null for what is not a file-system path (a URI, an unknown drive).</summary>
    internal string? TryResolvePath(string path)
    {
        if (path.Contains("://", StringComparison.Ordinal)) return null;
        try { return GetUnresolvedProviderPathFromPSPath(path); }
        catch (Exception e) when (e is not PipelineStoppedException) { return null; }
    }

    /// <summary>-Credential for every database target plus -TargetCredential (target name = PSCredential) per target.</summary>
    internal static TargetCredentials Credentials(PSCredential? credential, System.Collections.Hashtable? perTarget)
    {
        var credentials = new TargetCredentials { Default = credential?.GetNetworkCredential() };
        foreach (System.Collections.DictionaryEntry entry in perTarget ?? [])
        {
            var value = entry.Value is PSObject wrapped ? wrapped.BaseObject : entry.Value;
            if (value is not PSCredential perTargetCredential)
                throw new PSArgumentException($"-TargetCredential: the value for target '{entry.Key}' must be a PSCredential (Get-Credential).");
            credentials.Add(entry.Key.ToString()!, perTargetCredential.GetNetworkCredential());
        }
        return credentials;
    }

    protected static string? PlainText(SecureString? secret) => secret == null ? null : new NetworkCredential("", secret).Password;
}
