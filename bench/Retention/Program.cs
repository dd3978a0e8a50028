// retention-bench [COUNT] [RUNS]: plans retention over COUNT synthetic backups (default 100000),
// RUNS times after one warm-up run, and prints wall times. The history: one backup an hour with a
// little jitter (a DST-observing zone, so changes are crossed), a full every 7 days and
// incrementals chained in between, 1 in 500 pinned, 1 in 200 tagged "release".
// retention-bench plan FILE: plans the history in FILE (JSON, see bench/retention-vs-restic.py)
// and prints the ids it keeps, one per line.
using System.Diagnostics;
using System.Text.Json;
using PsBackup;
using PsBackup.Engine.Retention;

if (args.Length == 2 && args[0] == "plan")
{
    var input = JsonDocument.Parse(File.ReadAllText(args[1])).RootElement;
    var p = input.GetProperty("policy");
    int Count(string name) => p.TryGetProperty(name, out var v) ? v.GetInt32() : 0;
    var given = new RetentionPolicy
    {
        KeepLast = Count("last"), KeepHourly = Count("hourly"), KeepDaily = Count("daily"), KeepWeekly = Count("weekly"),
        KeepMonthly = Count("monthly"), KeepYearly = Count("yearly"),
        KeepWithin = p.TryGetProperty("withinHours", out var w) ? TimeSpan.FromHours(w.GetInt32()) : null,
        KeepTags = p.TryGetProperty("tags", out var t) ? t.EnumerateArray().Select(e => e.GetString()!).ToArray() : [],
        TimeZone = input.GetProperty("zone").GetString(),
    };
    var history = input.GetProperty("backups").EnumerateArray().Select(b => new RetentionCandidate(
        b.GetProperty("id").GetString()!, BackupType.Full, DateTimeOffset.Parse(b.GetProperty("time").GetString()!), null)
    {
        Tags = b.GetProperty("tags").EnumerateArray().Select(e => e.GetString()!).ToArray(),
    }).ToList();
    foreach (var verdict in RetentionPlanner.Plan(history, RetentionRules.From(given), DateTimeOffset.UtcNow).Where(v => v.Keep))
        Console.WriteLine(verdict.Backup.Id);
    return;
}

var count = args.Length > 0 ? int.Parse(args[0]) : 100_000;
var runs = args.Length > 1 ? int.Parse(args[1]) : 5;
var random = new Random(7);
var backups = new List<RetentionCandidate>(count);
var time = new DateTimeOffset(2015, 1, 1, 0, 0, 0, TimeSpan.Zero);
string? previous = null;
for (var i = 0; i < count; i++)
{
    time += TimeSpan.FromMinutes(60 + random.Next(-5, 6));
    var full = i % (24 * 7) == 0;
    var id = $"{time.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}_{(full ? "full" : "incremental")}_{i:x8}";
    backups.Add(new RetentionCandidate(id, full ? BackupType.Full : BackupType.Incremental, time, full ? null : previous)
    {
        Pinned = i % 500 == 499,
        Tags = i % 200 == 0 ? ["release"] : [],
    });
    previous = id;
}
var policy = new RetentionPolicy
{
    KeepLast = 10, KeepHourly = 48, KeepDaily = 30, KeepWeekly = 12, KeepMonthly = 12, KeepYearly = 7,
    KeepWithin = TimeSpan.FromDays(2), KeepTags = ["release"], TimeZone = "Europe/Berlin",
};
var now = time + TimeSpan.FromHours(1);

List<RetentionVerdict> Plan() => RetentionPlanner.Plan(backups, RetentionRules.From(policy), now);
var warm = Plan();
var times = new List<double>();
for (var r = 0; r < runs; r++)
{
    var clock = Stopwatch.StartNew();
    var verdicts = Plan();
    clock.Stop();
    times.Add(clock.Elapsed.TotalMilliseconds);
    if (verdicts.Count != count) throw new InvalidOperationException("lost backups");
}
times.Sort();
Console.WriteLine($"backups\t{count}");
Console.WriteLine($"kept\t{warm.Count(v => v.Keep)}");
Console.WriteLine($"deleted\t{warm.Count(v => !v.Keep)}");
Console.WriteLine($"plan_ms_min\t{times[0]:F1}");
Console.WriteLine($"plan_ms_median\t{times[times.Count / 2]:F1}");
Console.WriteLine($"plan_ms_max\t{times[^1]:F1}");
Console.WriteLine($"peak_working_set_mb\t{Process.GetCurrentProcess().PeakWorkingSet64 / (1 << 20)}");
