using System.Net;
using Npgsql;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Providers;
using PsBackup.Engine.Tests.Peers;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.PostgreSql;

/// <summary>Consistency under concurrent writes, restore destinations and prefixes, slot upkeep.</summary>
public sealed class PgBehaviourTests : IDisposable
{
    private readonly EngineFixture _fx = new();

    [Fact]
    public async Task RowsChangedDuringTheFullBackupAreInTheNextIncrementalExactlyOnce()
    {
        await using var source = await PgTestDatabase.CreateAsync("concurrent");
        await source.ExecAsync("""
            CREATE TABLE events (id bigserial PRIMARY KEY, v int NOT NULL, note text);
            INSERT INTO events (v, note) SELECT g, repeat('x', 200) FROM generate_series(1, 300000) g;
            """);
        await _fx.NewCollectionAsync("live", targets: source.Target("events"));
        Providers.PostgreSql.PgFullBackup.PartBytes = 4 << 20; // block ranges read while rows move between blocks

        using var stop = new CancellationTokenSource();
        long written = 0;
        var writer = Task.Run(async () =>
        {
            await using var connection = await source.OpenAsync();
            var random = new Random(7);
            while (!stop.IsCancellationRequested)
            {
                var id = random.Next(1, 300000);
                await using var command = new NpgsqlCommand($"""
                    INSERT INTO events (v, note) VALUES ({id}, 'during');
                    UPDATE events SET v = v + 1, note = 'updated' WHERE id = {id};
                    DELETE FROM events WHERE id = {id + 1};
                    """, connection);
                await command.ExecuteNonQueryAsync();
                Interlocked.Increment(ref written);
            }
        });
        while (Interlocked.Read(ref written) < 20) await Task.Delay(10);
        var before = Interlocked.Read(ref written);
        var full = await _fx.BackupAsync("live");
        var during = Interlocked.Read(ref written) - before;
        await Task.Delay(200);
        stop.Cancel();
        await writer;
        Assert.True(during > 0, "no transaction committed while the full backup ran");
        var incremental = await _fx.BackupAsync("live", BackupType.Incremental);

        var expected = await source.FingerprintAsync("events", "id");
        await using var restored = await PgTestDatabase.CreateAsync("concdst");
        Assert.Null(Assert.Single(await _fx.RestoreAsync(incremental.Id, restored.Name)).Error);
        Assert.Equal(expected, await restored.FingerprintAsync("events", "id"));
        Assert.NotEqual(full.Id, incremental.Id);
    }

    [Fact]
    public async Task RestoresNextToTheOriginalsWithAPrefixAndRefusesToOverwriteWithoutForce()
    {
        await using var db = await PgTestDatabase.CreateAsync("prefix");
        await db.ExecAsync("""
            CREATE TABLE items (id serial PRIMARY KEY, name text UNIQUE, qty int CHECK (qty >= 0));
            INSERT INTO items (name, qty) SELECT 'item ' || g, g FROM generate_series(1, 1000) g;
            """);
        await _fx.NewCollectionAsync("drill", targets: db.Target("items"));
        await _fx.BackupAsync("drill");
        await db.ExecAsync("UPDATE items SET qty = qty * 2 WHERE id % 2 = 0; DELETE FROM items WHERE id > 900;");
        var head = await _fx.BackupAsync("drill", BackupType.Incremental);
        var original = await db.FingerprintAsync("items", "id");

        var drill = await RestoreAsync(head.Id, null, prefix: "drill_");
        Assert.Null(drill.Error);
        Assert.Equal(original, await db.FingerprintAsync("public.drill_items", "id"));
        Assert.Equal(original, await db.FingerprintAsync("items", "id")); // the originals are untouched
        Assert.Equal(1, await db.ScalarAsync<int>("SELECT count(*)::int FROM pg_indexes WHERE indexname = 'drill_items_name_key'"));
        Assert.Equal(1000, await db.ScalarAsync<long>("SELECT last_value FROM public.drill_items_id_seq"));

        // Over tables that hold rows: refused without -Force, and nothing changes.
        await db.ExecAsync("UPDATE drill_items SET qty = 0");
        var changed = await db.FingerprintAsync("drill_items", "id");
        var refused = await RestoreAsync(head.Id, null, prefix: "drill_");
        Assert.Equal("RestoreWouldOverwrite", refused.Error?.ErrorId);
        Assert.Contains("drill_items", refused.Error!.Message);
        Assert.Equal(changed, await db.FingerprintAsync("drill_items", "id"));
        Assert.Equal("RestoreWouldOverwrite", (await RestoreAsync(head.Id, null)).Error?.ErrorId);

        Assert.Null((await RestoreAsync(head.Id, null, prefix: "drill_", force: true)).Error);
        Assert.Equal(original, await db.FingerprintAsync("drill_items", "id"));
    }

    [Fact]
    public async Task TheSlotIsShownAndRemovedWithTheCollection()
    {
        await using var db = await PgTestDatabase.CreateAsync("slot");
        await db.ExecAsync("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'v' FROM generate_series(1, 100) g;");
        await _fx.NewCollectionAsync("slotted", targets: db.Target("t"));
        await _fx.BackupAsync("slotted");
        await _fx.BackupAsync("slotted"); // a second full: a new slot; the first is dropped once this one is committed …
        var first = await _fx.BackupAsync("slotted", BackupType.Incremental); // … by the next backup
        await db.ExecAsync("INSERT INTO t VALUES (100000, 'x')");
        await _fx.BackupAsync("slotted", BackupType.Incremental);
        // Each incremental confirms what the committed base holds, so the server can recycle older WAL.
        var manifest = Newtonsoft.Json.Linq.JObject.Parse(File.ReadAllText(Path.Combine(_fx.Repository, "collections", "slotted", "backups", first.Id, "manifest.json")));
        var firstLsn = (string)manifest["targets"]![0]!["state"]!["lsn"]!;
        // The walsender applies the confirmation when it reads the status update, asynchronously: a loaded CI saw the old value once.
        var confirmed = "";
        for (var waited = System.Diagnostics.Stopwatch.StartNew(); waited.Elapsed < TimeSpan.FromSeconds(10); await Task.Delay(50))
            if ((confirmed = await db.ScalarAsync<string>($"SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE database = '{db.Name}'")) == firstLsn)
                break;
        Assert.Equal(firstLsn, confirmed);
        await db.ExecAsync("INSERT INTO t SELECT g, repeat('w', 1000) FROM generate_series(101, 5000) g;");

        var status = Assert.Single(await StatusAsync("slotted"));
        Assert.StartsWith("psbackup_", status.ReplicationSlot);
        Assert.Equal(0, status.StaleSlots);
        Assert.True(status.RetainedWalBytes > 4_000_000, $"retained {status.RetainedWalBytes}");
        Assert.Equal(1, await db.ScalarAsync<long>($"SELECT count(*) FROM pg_replication_slots WHERE database = '{db.Name}'"));

        // An unreachable server keeps the collection (its slot would hold WAL forever) unless -Force.
        var collection = (await _fx.Engine.GetCollectionsAsync(_fx.Repository, "slotted"))[0];
        await _fx.Engine.RemoveCollectionAsync(_fx.Repository, "slotted");
        Assert.Empty(await _fx.Engine.GetCollectionsAsync(_fx.Repository, "slotted*"));
        Assert.Equal(0, await db.ScalarAsync<long>($"SELECT count(*) FROM pg_replication_slots WHERE database = '{db.Name}'"));
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM pg_publication"));
        Assert.Single(collection.Targets);
    }

    [Fact]
    public async Task RemovingACollectionWhoseServerIsDownNeedsForce()
    {
        await using var db = await PgTestDatabase.CreateAsync("down");
        await db.ExecAsync("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1);");
        var target = db.Target("t");
        await _fx.NewCollectionAsync("down", targets: target);
        await _fx.BackupAsync("down");
        // The same collection seen with its server moved away: point the definition at a closed port.
        var definitionPath = Path.Combine(_fx.Repository, "collections", "down", "collection.json");
        Tamper.EditText(definitionPath, text => text.Replace($"\"port\": {TestPeers.PgPort}", "\"port\": 1")); // an admin's edit: resealed

        var error = await Assert.ThrowsAsync<PsBackupException>(() => _fx.Engine.RemoveCollectionAsync(_fx.Repository, "down"));
        Assert.Equal("TargetCleanupFailed", error.ErrorId);
        Assert.Contains("pg_drop_replication_slot", error.Message);
        Assert.Single(await _fx.Engine.GetCollectionsAsync(_fx.Repository, "down"));

        var warnings = await _fx.Engine.RemoveCollectionAsync(_fx.Repository, "down", null, force: true);
        Assert.Contains(warnings, w => w.Contains("pg_drop_replication_slot"));
        Assert.Empty(await _fx.Engine.GetCollectionsAsync(_fx.Repository, "down*"));
    }

    [Fact]
    public async Task ACopyRestoresButDoesNotReadTheSourceRepositorysSlot()
    {
        await using var db = await PgTestDatabase.CreateAsync("copy");
        await db.ExecAsync("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 1000) g;");
        await _fx.NewCollectionAsync("copied", targets: db.Target("t"));
        await _fx.BackupAsync("copied");
        await db.ExecAsync("DELETE FROM t WHERE id < 10");
        var head = await _fx.BackupAsync("copied", BackupType.Incremental);
        var expected = await db.FingerprintAsync("t", "id");

        var second = _fx.Temp.Combine("second-repo");
        await foreach (var copied in _fx.Engine.CopyBackupAsync(new CopyRequest("copied", second) { Source = _fx.Repository }))
            Assert.Equal(CopyStatus.Copied, copied.Result.Status);
        await using var restored = await PgTestDatabase.CreateAsync("copydst");
        await foreach (var outcome in _fx.Engine.RestoreAsync(new RestoreRequest(head.Id) { Repository = second, Destination = restored.Name }))
            Assert.Null(outcome.Error);
        Assert.Equal(expected, await restored.FingerprintAsync("t", "id"));

        // The copy's chain names the source repository's slot: an incremental there must start from a full.
        var error = await Assert.ThrowsAsync<InvalidBackupRequestException>(() =>
            _fx.Engine.InvokeBackupAsync(new BackupRequest("copied") { Repository = second, Type = BackupType.Incremental }));
        Assert.Equal("NoBaseForTarget", error.ErrorId);
        Assert.Equal(BackupStatus.Complete, (await _fx.Engine.InvokeBackupAsync(new BackupRequest("copied") { Repository = second })).Backup.Status);
        // Each repository keeps its own slot; the source's chain goes on.
        Assert.Equal(2, await db.ScalarAsync<long>($"SELECT count(*) FROM pg_replication_slots WHERE database = '{db.Name}'"));
        await _fx.BackupAsync("copied", BackupType.Incremental);
    }

    private async Task<RestoreOutcome> RestoreAsync(string id, string? destination, string? prefix = null, bool force = false)
    {
        RestoreOutcome? result = null;
        await foreach (var outcome in _fx.Engine.RestoreAsync(new RestoreRequest(id) { Repository = _fx.Repository, Destination = destination, Options = [new Providers.PostgreSql.PgTableRestoreOptions { TablePrefix = prefix }], Force = force }))
            result = outcome;
        return result!;
    }

    private async Task<List<BackupTargetStatus>> StatusAsync(string collection)
    {
        var list = new List<BackupTargetStatus>();
        await foreach (var status in _fx.Engine.GetTargetStatusAsync(_fx.Repository, collection)) list.Add(status);
        return list;
    }

    public void Dispose() => _fx.Dispose();
}
