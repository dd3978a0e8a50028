using System.Net;
using System.Text;
using PsBackup.Engine;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Metrics;

namespace PsBackup.Cli;

/// <summary>
/// psbackup-cli metrics --listen HOST:PORT: serves Export-BackupMetrics' text on /metrics for a
/// direct Prometheus scrape, computed afresh per request (one scrape at a time; the repository is
/// the truth, nothing is cached). A scrape that fails answers 500 with the PsBackup error.
/// Stops on Ctrl+C or SIGTERM.
/// </summary>
internal static class MetricsServer
{
    public static async Task<int> RunAsync(BackupEngine engine, MetricsRequest request, string listen, CancellationToken ct)
    {
        var endpoint = IPEndPoint.Parse(listen.Contains(':') ? listen : "127.0.0.1:" + listen);
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://{(endpoint.Address.Equals(IPAddress.Any) ? "+" : endpoint.Address.ToString())}:{endpoint.Port}/");
        listener.Start();
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stopping.Cancel();
        });
        using var registration = stopping.Token.Register(listener.Stop);
        Console.Error.WriteLine($"Serving metrics on http://{endpoint}/metrics (Ctrl+C stops).");
        while (!stopping.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                break;
            }
            await AnswerAsync(engine, request, context, stopping.Token).ConfigureAwait(false);
        }
        return 0;
    }

    private static async Task AnswerAsync(BackupEngine engine, MetricsRequest request, HttpListenerContext context, CancellationToken ct)
    {
        var response = context.Response;
        try
        {
            string body;
            if (context.Request.Url?.AbsolutePath is "/metrics")
            {
                try
                {
                    body = await engine.ExportMetricsAsync(request, new WarningsToStderr(), ct).ConfigureAwait(false);
                    response.ContentType = PrometheusText.ContentType;
                }
                catch (PsBackupException e)
                {
                    response.StatusCode = 500;
                    body = $"error: {e.ErrorId}: {e.Message}\n";
                    Console.Error.WriteLine(body.TrimEnd());
                }
            }
            else
            {
                response.StatusCode = context.Request.Url?.AbsolutePath is "/" ? 200 : 404;
                body = "<html><body><a href=\"/metrics\">PsBackup metrics</a></body></html>\n";
                response.ContentType = "text/html";
            }
            var bytes = Encoding.UTF8.GetBytes(body);
            response.ContentLength64 = bytes.Length;
            await response.OutputStream.WriteAsync(bytes, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpListenerException or IOException or OperationCanceledException)
        {
            // the scraper went away, or we are stopping
        }
        finally
        {
            response.Close();
        }
    }

    private sealed class WarningsToStderr : IVerboseProgress
    {
        public void Report(BackupProgress value) { }

        public void Verbose(string message) { }

        public void Warning(string message) => Console.Error.WriteLine($"warning: {SecretMasker.Hide(message)}");
    }
}
