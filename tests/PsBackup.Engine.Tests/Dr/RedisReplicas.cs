using PsBackup.Engine.Tests.Redis;

namespace PsBackup.Engine.Tests.Dr;

internal static class RedisReplicas
{
    /// <summary>Waits until the replica's link is up and its offset equals the primary's.</summary>
    public static async Task CaughtUpAsync(RedisServer primary, RedisServer replica)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            using var p = primary.Connect();
            using var r = replica.Connect();
            var master = (string)(await p.GetServer(primary.Endpoint).ExecuteAsync("INFO", "replication"))!;
            var slave = (string)(await r.GetServer(replica.Endpoint).ExecuteAsync("INFO", "replication"))!;
            string Field(string info, string name) => info.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(name + ":"))?.Split(':')[1] ?? "";
            if (Field(slave, "master_link_status") == "up" && Field(master, "master_repl_offset") == Field(slave, "slave_repl_offset")) return;
            if (clock.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException($"replica did not catch up:\n{master}\n{slave}");
            await Task.Delay(50);
        }
    }
}
