using System.Management.Automation;
using PsBackup.Completers;
using PsBackup.Engine.Metrics;
using PsBackup.Infrastructure;

namespace PsBackup.Commands;

/// <summary>
/// <para type="synopsis">Writes the repository's backup metrics in the Prometheus text exposition format: to a .prom file atomically (for node_exporter's textfile collector) or to the pipeline.</para>
/// </summary>
[Cmdlet(VerbsData.Export, "BackupMetrics", SupportsShouldProcess = true)]
[OutputType(typeof(string))]
public sealed class ExportBackupMetricsCommand : RepositoryCmdlet
{
    /// <summary>Collection names (wildcards allowed); binds from Get-BackupCollection's Name. Default: all.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(CollectionNameCompleter))]
    public string[]? Collection { get; set; }

    /// <summary>The .prom file to replace atomically (temporary file, then rename); without it the text goes to the pipeline.</summary>
    [Parameter]
    public string? Path { get; set; }

    /// <summary>Only to read an encrypted archived log's timeline history for recovery windows; $env:PSBACKUP_PASSPHRASE when omitted.</summary>
    [Parameter]
    public System.Security.SecureString? EncryptionPassphrase { get; set; }

    private readonly List<string> _collections = [];

    protected override void ProcessRecord() => _collections.AddRange(Collection ?? []);

    /// <summary>One export of every collection piped or named, so the file always holds them all.</summary>
    protected override void EndProcessing()
    {
        var request = new MetricsRequest { Repository = Address(), Collections = _collections, Passphrase = PlainText(EncryptionPassphrase) };
        var path = Path == null ? null : ResolvePath(Path);
        if (path != null && !ShouldProcess(path, "Write backup metrics")) return;
        RunEngine(path, async (engine, bridge, ct) =>
        {
            var text = await engine.ExportMetricsAsync(request, bridge, ct);
            if (path == null)
                bridge.Output(text);
            else
                await MetricsFile.WriteAsync(path, text, ct);
        });
    }
}
