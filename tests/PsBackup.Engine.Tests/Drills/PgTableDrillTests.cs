using System.Buffers.Binary;
using Newtonsoft.Json.Linq;
using Npgsql;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Tests.Peers;
using PsBackup.Engine.Tests.PostgreSql;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Drills;

/// <summary>
/// Restore drills of PostgreSQL tables (issue 15) against the test primary: a scratch database is
/// created, every table restored and read back, its row count and row-hash sum compared with what
/// the backup recorded; a row dropped from a resealed table artifact is caught only by the drill;
/// the scratch database is gone after a pass, a failure and a cancellation.
/// </summary>
[Collection(DrillCollection.Name)]
public sealed class PgTableDrillTests : IAsyncLifetime, IDisposable
{
    private readonly EngineFixture _fx = new();
    private PgTestDatabase _db = null!;

    private const string Schema = """
        CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
        CREATE TABLE orders (id bigint PRIMARY KEY, customer text, amount numeric(12,2), placed timestamptz, tags text[], meta jsonb, blob bytea, m mood);
        CREATE TABLE moods (id int PRIMARY KEY, history mood[]);          -- an array of an enum: copied as text
        CREATE TABLE events (id int, at date NOT NULL, what text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
        CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
        CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
        CREATE TABLE quiet (id int PRIMARY KEY, v text);
        INSERT INTO orders SELECT g, 'customer ' || g, g * 1.25, '2026-01-01 00:00:00+00'::timestamptz + g * interval '1 minute',
                                  ARRAY['a' || g, NULL], jsonb_build_object('g', g), decode(md5(g::text), 'hex'), (ARRAY['sad','ok','happy'])[1 + g % 3]::mood
                           FROM generate_series(1, 1000) g;
        INSERT INTO orders (id) VALUES (0);
        INSERT INTO moods SELECT g, ARRAY['ok', 'happy']::mood[] FROM generate_series(1, 50) g;
        INSERT INTO events SELECT g, date '2025-06-01' + g, 'event ' || g FROM generate_series(1, 400) g;
        INSERT INTO quiet SELECT g, repeat('q', g) FROM generate_series(1, 30) g;
        """;

    public async Task InitializeAsync()
    {
        _db = await PgTestDatabase.CreateAsync("drill");
        await _db.ExecAsync(Schema);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    public void Dispose() => _fx.Dispose();

    private static async Task<List<string>> ScratchDatabasesAsync()
    {
        await using var connection = await TestPeers.OpenPrimaryAsync();
        await using var command = new NpgsqlCommand("SELECT datname FROM pg_database WHERE datname LIKE 'psbackup\\_drill\\_%' ORDER BY 1", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var names = new List<string>();
        while (await reader.ReadAsync()) names.Add(reader.GetString(0));
        return names;
    }

    [Fact]
    public async Task A_full_and_an_incremental_pass_with_exact_counts_and_sums_and_the_scratch_database_is_dropped()
    {
        await _fx.NewCollectionAsync("shop", targets: _db.Target("db"));
        var full = await _fx.BackupAsync("shop");
        var scratch = await ScratchDatabasesAsync();

        var before = DateTimeOffset.UtcNow;
        var outcome = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("shop") { VerifyQuery = "SELECT count(*) = 1001 FROM orders" }));
        var result = DrillSupport.AssertPassed(outcome, before, DateTimeOffset.UtcNow, full.EndTime);
        Assert.Equal(full.Id, result.BackupId);
        Assert.StartsWith("1001 rows, sum ", result.Check("rows of public.orders").Observed);
        Assert.Equal(result.Check("rows of public.orders").Expected, result.Check("rows of public.orders").Observed);
        Assert.StartsWith("50 rows, sum ", result.Check("rows of public.moods").Observed); // text COPY
        Assert.StartsWith("213 rows", result.Check("rows of public.events_2025").Observed);
        Assert.StartsWith("187 rows", result.Check("rows of public.events_2026").Observed);
        Assert.DoesNotContain(result.CheckList, c => c.Name == "rows of public.events"); // a partitioned table has no rows of its own
        Assert.Equal("5 restored", result.Check("tables against").Observed);
        Assert.Equal("True", result.Check("-VerifyQuery").Observed);
        Assert.Equal(scratch, await ScratchDatabasesAsync());

        // An incremental: inserts, updates and deletes in orders, a truncated partition, untouched tables.
        await _db.ExecAsync("""
            INSERT INTO orders (id, customer) SELECT g, 'late ' || g FROM generate_series(2001, 2100) g;
            UPDATE orders SET amount = 0 WHERE id % 10 = 0;
            DELETE FROM orders WHERE id BETWEEN 500 AND 549;
            TRUNCATE events_2026;
            INSERT INTO events VALUES (9999, '2026-03-01', 'after the truncate');
            """);
        var incremental = await _fx.BackupAsync("shop", BackupType.Incremental);
        before = DateTimeOffset.UtcNow;
        outcome = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("shop")));
        result = DrillSupport.AssertPassed(outcome, before, DateTimeOffset.UtcNow, incremental.EndTime);
        var orders = result.Check("rows of public.orders (count only");
        Assert.Equal(("1051 rows", "1051 rows"), (orders.Expected, orders.Observed));
        Assert.Equal("1 rows", result.Check("rows of public.events_2026 (count only").Observed);
        Assert.Equal(result.Check("rows of public.quiet").Expected, result.Check("rows of public.quiet").Observed); // unchanged: still its full's sum
        Assert.StartsWith("30 rows, sum ", result.Check("rows of public.quiet").Observed);
        Assert.Equal(scratch, await ScratchDatabasesAsync());
        Assert.Equal(2, (await _fx.RecordedAsync("shop")).Count);
    }

    [Fact]
    public async Task Tables_read_back_in_block_ranges_on_parallel_connections_sum_as_the_backup_recorded()
    {
        // Small parts: orders (~1,000 rows with blobs) becomes several block ranges in the backup and in the drill's read-back.
        var saved = Providers.PostgreSql.PgFullBackup.PartBytes;
        Providers.PostgreSql.PgFullBackup.PartBytes = 16 << 10;
        try
        {
            await _fx.NewCollectionAsync("ranges", targets: _db.Target("db"));
            var full = await _fx.BackupAsync("ranges");
            var before = DateTimeOffset.UtcNow;
            var outcome = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("ranges") { ThrottleLimit = 3 }));
            var result = DrillSupport.AssertPassed(outcome, before, DateTimeOffset.UtcNow, full.EndTime);
            var orders = result.Check("rows of public.orders");
            Assert.StartsWith("1001 rows, sum ", orders.Observed);
            Assert.Equal(orders.Expected, orders.Observed);
            Assert.Equal(0, result.ChecksFailed);
        }
        finally
        {
            Providers.PostgreSql.PgFullBackup.PartBytes = saved;
        }
    }

    [Fact]
    public async Task A_row_dropped_from_a_resealed_table_artifact_is_caught_only_by_the_drill()
    {
        await _fx.NewCollectionAsync("tampered", incremental: false, targets: _db.Target("db", "public.orders"));
        var backup = await _fx.BackupAsync("tampered");
        ArtifactTamper.Rewrite(_fx.Repository, "tampered", backup.Id, "db", "table-0001", copy => DropTuple(copy, 7));
        Assert.All(await _fx.VerifyAsync(backup.Id), f => Assert.Equal(VerificationStatus.Ok, f.Status)); // Test-Backup sees nothing wrong
        Assert.Null(Assert.Single(await _fx.RestoreAsync(backup.Id, $"Host={TestPeers.PgHost};Port={TestPeers.PgPort};Database={_db.Name}", force: true)).Error);
        var scratch = await ScratchDatabasesAsync();

        var outcome = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("tampered")));
        Assert.Equal(DrillStatus.Failed, outcome.Result.Status);
        Assert.Equal("RestoreDrillFailed", outcome.Error!.ErrorId);
        var check = outcome.Result.Check("rows of public.orders");
        Assert.False(check.Passed);
        Assert.StartsWith("1001 rows, sum ", check.Expected);
        Assert.StartsWith("1000 rows, sum ", check.Observed);
        Assert.Contains("rows of public.orders: expected 1001 rows", outcome.Result.Reason);
        Assert.Equal(scratch, await ScratchDatabasesAsync());

        // A flipped byte: the restore itself refuses it, and the drill says so.
        var artifact = Directory.EnumerateFiles(_fx.Repository, "table-0001*", SearchOption.AllDirectories).Single();
        var bytes = await File.ReadAllBytesAsync(artifact);
        bytes[bytes.Length / 2] ^= 0x01;
        await File.WriteAllBytesAsync(artifact, bytes);
        outcome = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("tampered")));
        Assert.Equal("ArtifactCorrupt", outcome.Error!.ErrorId);
        Assert.Equal(DrillStatus.Failed, outcome.Result.Status);
        Assert.Equal(scratch, await ScratchDatabasesAsync());
    }

    [Fact]
    public async Task A_backup_without_a_row_check_gets_a_weaker_check_named_so_and_a_failing_query_fails()
    {
        await _fx.NewCollectionAsync("older", incremental: false, targets: _db.Target("db", "public.quiet"));
        var backup = await _fx.BackupAsync("older");
        // What a backup of an earlier PsBackup looks like: no rowCheck in the target's state.
        Tamper.Edit(Path.Combine(_fx.Repository, "collections", "older", "backups", backup.Id, "manifest.json"),
            manifest => ((JObject)manifest["targets"]![0]!["state"]!).Remove("rowCheck"));

        var outcome = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("older") { VerifyQuery = "SELECT count(*) FROM public.quiet WHERE id > 1000" }));
        var rows = outcome.Result.Check("rows of public.quiet (not recorded");
        Assert.True(rows.Passed);
        Assert.Equal("30 rows", rows.Observed);
        var query = outcome.Result.Check("-VerifyQuery");
        Assert.False(query.Passed);
        Assert.Equal("0", query.Observed);
        Assert.Equal("RestoreDrillFailed", outcome.Error!.ErrorId);
    }

    [Fact]
    public async Task Cancelled_mid_restore_the_scratch_database_is_dropped_and_nothing_recorded()
    {
        await _db.ExecAsync("CREATE TABLE big (id int PRIMARY KEY, payload text); INSERT INTO big SELECT g, repeat(md5(g::text), 8) FROM generate_series(1, 300000) g;");
        await _fx.NewCollectionAsync("cancel", incremental: false, targets: _db.Target("db", "public.big"));
        await _fx.BackupAsync("cancel");
        var scratch = await ScratchDatabasesAsync();
        using var cts = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            // Cancel as soon as the drill's database holds the table being loaded.
            while (!cts.IsCancellationRequested)
            {
                foreach (var name in (await ScratchDatabasesAsync()).Except(scratch))
                {
                    await using var connection = await TestPeers.OpenPrimaryAsync(name);
                    await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_class WHERE relname = 'big'", connection);
                    if ((long)(await command.ExecuteScalarAsync())! > 0)
                    {
                        cts.Cancel();
                        return true;
                    }
                }
                await Task.Delay(20);
            }
            return false;
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _fx.DrillAsync(new RestoreDrillRequest("cancel"), ct: cts.Token));
        Assert.True(await watcher, "the drill was not cancelled while its database was being filled");
        Assert.Equal(scratch, await ScratchDatabasesAsync());
        Assert.Empty(await _fx.RecordedAsync("cancel"));
    }

    [Fact]
    public async Task A_drill_server_given_as_host_and_port_gets_the_scratch_database()
    {
        await _fx.NewCollectionAsync("elsewhere", incremental: false, targets: _db.Target("db", "public.quiet"));
        await _fx.BackupAsync("elsewhere");
        var scratch = await ScratchDatabasesAsync();
        var plan = Assert.Single(await _fx.Engine.PlanRestoreDrillAsync(new RestoreDrillRequest("elsewhere") { Repository = _fx.Repository, DrillServer = $"{TestPeers.PgHost}:{TestPeers.PgPort}" }));
        Assert.Contains($"on {TestPeers.PgHost}:{TestPeers.PgPort}", Assert.Single(plan.Steps).Scratch);
        Assert.Equal(scratch, await ScratchDatabasesAsync()); // planning creates nothing

        var outcome = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("elsewhere") { DrillServer = $"{TestPeers.PgHost}:{TestPeers.PgPort}" }));
        Assert.True(outcome.Result.Status == DrillStatus.Passed, outcome.Result.Reason);
        Assert.StartsWith("database psbackup_drill_", outcome.Result.RestoredTo);
        Assert.Equal(scratch, await ScratchDatabasesAsync());
    }

    /// <summary>A binary COPY stream without its <paramref name="index"/>th tuple.</summary>
    private static byte[] DropTuple(byte[] copy, int index)
    {
        var at = 19 + BinaryPrimitives.ReadInt32BigEndian(copy.AsSpan(15));
        for (var tuple = 0; ; tuple++)
        {
            var start = at;
            var fields = BinaryPrimitives.ReadInt16BigEndian(copy.AsSpan(at));
            if (fields < 0) throw new InvalidOperationException("fewer tuples than asked");
            at += 2;
            for (var f = 0; f < fields; f++)
            {
                var length = BinaryPrimitives.ReadInt32BigEndian(copy.AsSpan(at));
                at += 4 + Math.Max(length, 0);
            }
            if (tuple == index) return [.. copy.AsSpan(0, start), .. copy.AsSpan(at)];
        }
    }
}
