using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using PsBackup.Engine.Metrics;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Monitoring;

/// <summary>
/// The real thing: a Prometheus on 127.0.0.1 scraping PsBackup's metrics both ways an admin wires
/// them (node_exporter's textfile collector reading Export-BackupMetrics' file, and psbackup-cli
/// metrics --listen), with monitoring/prometheus/psbackup-rules.yml loaded. Asserted through the
/// HTTP API: the series and their values after real backups, the alert going pending/firing after a
/// failed backup, and every PromQL expression of the Grafana dashboard evaluating without error.
/// </summary>
public sealed class PrometheusScrapeTests : IDisposable
{
    private readonly EngineFixture _fx = new();
    private readonly List<Process> _processes = [];
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public void Dispose()
    {
        foreach (var process in _processes)
        {
            try { process.Kill(entireProcessTree: true); process.WaitForExit(5000); } catch (InvalidOperationException) { }
            process.Dispose();
        }
        _http.Dispose();
        _fx.Dispose();
    }

    [Fact]
    public async Task Prometheus_scrapes_the_metrics_sees_the_right_values_and_fires_the_alert_after_a_failed_backup()
    {
        var root = CliProcess.RepoRoot();
        var tree = new TreeBuilder(_fx.Temp.Combine("src")).File("a.txt", new string('a', 10_000));
        await _fx.NewCollectionAsync("app", targets: EngineFixture.Tree("files", tree.Root));
        await _fx.BackupAsync("app");
        var second = await _fx.BackupAsync("app", BackupType.Incremental);
        var textfiles = Directory.CreateDirectory(_fx.Temp.Combine("textfile")).FullName;
        var prom = Path.Combine(textfiles, "psbackup.prom");
        await ExportAsync(prom);

        var exporterPort = TestPorts.Next();
        Start("prometheus-node-exporter", "--collector.disable-defaults", "--collector.textfile", $"--collector.textfile.directory={textfiles}",
            $"--web.listen-address=127.0.0.1:{exporterPort}");
        var listenPort = TestPorts.Next();
        _processes.Add(CliProcess.Start("metrics", "--repository", _fx.Repository, "--listen", $"127.0.0.1:{listenPort}"));
        var prometheusPort = TestPorts.Next();
        var config = _fx.Temp.Combine("prometheus.yml");
        File.WriteAllText(config, $"""
            global: {"{"} scrape_interval: 1s, evaluation_interval: 1s {"}"}
            rule_files: ['{Path.Combine(root, "monitoring", "prometheus", "psbackup-rules.yml")}']
            scrape_configs:
              - job_name: node
                static_configs: [{"{"} targets: ['127.0.0.1:{exporterPort}'] {"}"}]
              - job_name: psbackup
                static_configs: [{"{"} targets: ['127.0.0.1:{listenPort}'] {"}"}]
            """);
        Start("prometheus", $"--config.file={config}", $"--storage.tsdb.path={_fx.Temp.Combine("tsdb")}",
            $"--web.listen-address=127.0.0.1:{prometheusPort}");
        var api = $"http://127.0.0.1:{prometheusPort}/api/v1/";

        // Both ways in, the same values.
        foreach (var job in new[] { "node", "psbackup" })
        {
            Assert.Equal(2, await WaitForValueAsync(api, $"psbackup_backups{{job=\"{job}\",collection=\"app\"}}", v => v == 2));
            Assert.Equal(1, await WaitForValueAsync(api, $"psbackup_backups_full{{job=\"{job}\",collection=\"app\"}}", v => v == 1));
            Assert.Equal(2, await WaitForValueAsync(api, $"psbackup_runs_total{{job=\"{job}\",collection=\"app\",operation=\"backup\",outcome=\"succeeded\"}}", v => v == 2));
            Assert.Equal(1, await WaitForValueAsync(api, $"psbackup_last_run_success{{job=\"{job}\",collection=\"app\",operation=\"backup\"}}", v => v == 1));
            Assert.Equal(second.SizeBytes, await WaitForValueAsync(api, $"psbackup_target_last_size_bytes{{job=\"{job}\",collection=\"app\",target=\"files\",kind=\"FileTree\"}}", v => v > 0));
            var age = await WaitForValueAsync(api, $"time() - psbackup_last_success_timestamp_seconds{{job=\"{job}\",collection=\"app\"}}", v => true);
            Assert.InRange(age, 0, 600);
        }
        Assert.Empty(await AlertsAsync(api, "PsBackupLastRunFailed"));

        // A failed backup: no new backup, one failed run, and the alert.
        Directory.Move(tree.Root, tree.Root + ".moved");
        await Assert.ThrowsAnyAsync<Errors.PsBackupException>(() => _fx.Engine.InvokeBackupAsync(new BackupRequest("app") { Repository = _fx.Repository }));
        await ExportAsync(prom);
        foreach (var job in new[] { "node", "psbackup" })
        {
            Assert.Equal(1, await WaitForValueAsync(api, $"psbackup_runs_total{{job=\"{job}\",collection=\"app\",operation=\"backup\",outcome=\"failed\"}}", v => v == 1));
            Assert.Equal(0, await WaitForValueAsync(api, $"psbackup_last_run_success{{job=\"{job}\",collection=\"app\",operation=\"backup\"}}", v => v == 0));
            Assert.Equal(2, await WaitForValueAsync(api, $"psbackup_backups{{job=\"{job}\",collection=\"app\"}}", v => v == 2));
        }
        var deadline = DateTime.UtcNow.AddSeconds(30);
        List<JsonElement> alerts;
        while ((alerts = await AlertsAsync(api, "PsBackupLastRunFailed")).Count < 2 && DateTime.UtcNow < deadline)
            await Task.Delay(500);
        Assert.Equal(2, alerts.Count); // one per job
        Assert.All(alerts, a => Assert.Contains(a.GetProperty("state").GetString(), new[] { "pending", "firing" }));
        Assert.All(alerts, a => Assert.Equal("app", a.GetProperty("labels").GetProperty("collection").GetString()));

        // Every PromQL expression of the dashboard (and its variables' metrics) evaluates without error.
        var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "monitoring", "grafana", "psbackup-dashboard.json"))).RootElement;
        var expressions = DashboardExpressions(dashboard);
        Assert.True(expressions.Count >= 15, $"only {expressions.Count} expressions");
        foreach (var expression in expressions)
        {
            var query = expression.Replace("$collection", ".*").Replace("$repository", ".*");
            using var response = await _http.GetAsync(api + "query?query=" + Uri.EscapeDataString(query));
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{query}: {body}");
            Assert.Equal("success", JsonDocument.Parse(body).RootElement.GetProperty("status").GetString());
        }
        foreach (var panel in dashboard.GetProperty("panels").EnumerateArray())
        {
            Assert.False(string.IsNullOrEmpty(panel.GetProperty("title").GetString()));
            Assert.Contains(panel.GetProperty("type").GetString(), new[] { "stat", "timeseries", "bargauge", "table" });
            Assert.True(panel.GetProperty("gridPos").GetProperty("x").GetInt32() + panel.GetProperty("gridPos").GetProperty("w").GetInt32() <= 24);
        }
        Assert.Equal(dashboard.GetProperty("panels").GetArrayLength(), dashboard.GetProperty("panels").EnumerateArray().Select(p => p.GetProperty("id").GetInt32()).Distinct().Count());
    }

    /// <summary>Panel target expressions, plus each template variable's label_values metric selector.</summary>
    private static List<string> DashboardExpressions(JsonElement dashboard)
    {
        var expressions = dashboard.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("expr").GetString()!)).ToList();
        foreach (var variable in dashboard.GetProperty("templating").GetProperty("list").EnumerateArray())
        {
            var match = Regex.Match(variable.GetProperty("query").GetString()!, @"^label_values\((?<selector>.+),\s*(?<label>\w+)\)$");
            Assert.True(match.Success, variable.GetProperty("query").GetString());
            expressions.Add(match.Groups["selector"].Value);
        }
        return expressions;
    }

    private Task ExportAsync(string path) =>
        _fx.Engine.ExportMetricsAsync(new MetricsRequest { Repository = _fx.Repository }).ContinueWith(t => MetricsFile.WriteAsync(path, t.Result, default)).Unwrap();

    private void Start(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
    }

    /// <summary>Polls an instant query until it returns one sample satisfying <paramref name="accept"/> (30 s), and returns its value.</summary>
    private async Task<double> WaitForValueAsync(string api, string query, Func<double, bool> accept)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string last = "";
        while (true)
        {
            try
            {
                last = await _http.GetStringAsync(api + "query?query=" + Uri.EscapeDataString(query));
                var result = JsonDocument.Parse(last).RootElement.GetProperty("data").GetProperty("result");
                if (result.GetArrayLength() == 1)
                {
                    var value = double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
                    if (accept(value)) return value;
                }
            }
            catch (HttpRequestException e)
            {
                last = e.Message; // Prometheus still starting
            }
            Assert.True(DateTime.UtcNow < deadline, $"{query}: no accepted value in 30 s; last answer: {last}");
            await Task.Delay(300);
        }
    }

    private async Task<List<JsonElement>> AlertsAsync(string api, string name)
    {
        var body = await _http.GetStringAsync(api + "alerts");
        return JsonDocument.Parse(body).RootElement.GetProperty("data").GetProperty("alerts").EnumerateArray()
            .Where(a => a.GetProperty("labels").GetProperty("alertname").GetString() == name).Select(a => a.Clone()).ToList();
    }
}
