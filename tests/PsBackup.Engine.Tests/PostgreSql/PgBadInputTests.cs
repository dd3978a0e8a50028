using System.Diagnostics;
using System.Net;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Providers;
using PsBackup.Engine.Tests.Peers;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.PostgreSql;

/// <summary>Wrong password, unknown table, unreachable server, wal_level too low, keyless tables: clear errors, nothing committed.</summary>
public sealed class PgBadInputTests : IDisposable
{
    private readonly EngineFixture _fx = new();

    [Fact]
    public async Task AWrongPasswordIsRefusedByName()
    {
        await using var db = await PgTestDatabase.CreateAsync("auth");
        await db.ExecAsync("""
            DO $$ BEGIN
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'psbackup_secure') THEN CREATE ROLE psbackup_secure LOGIN SUPERUSER; END IF;
            END $$;
            ALTER ROLE psbackup_secure PASSWORD 'right horse battery';
            CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2);
            """);
        var target = db.Target("t");
        target.UserName = "psbackup_secure";
        await _fx.NewCollectionAsync("auth", targets: target);

        var wrong = await Assert.ThrowsAsync<TargetAuthenticationException>(() => BackupAsync("auth", new NetworkCredential("psbackup_secure", "wrong")));
        Assert.Contains("psbackup_secure", wrong.Message);
        Assert.Contains("-Credential", wrong.Message);
        var missing = await Assert.ThrowsAsync<TargetAuthenticationException>(() => BackupAsync("auth", null));
        Assert.Contains("PGPASSWORD", missing.Message);
        Assert.Empty(await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository, Collection = "auth" }));

        var backup = await BackupAsync("auth", new NetworkCredential("", "right horse battery"));
        Assert.Equal(BackupStatus.Complete, backup.Backup.Status);
        await db.ExecAsync("DELETE FROM t");
        var restore = new RestoreRequest(backup.Backup.Id) { Repository = _fx.Repository, Force = true, Credentials = new TargetCredentials { Default = new NetworkCredential("psbackup_secure", "right horse battery") } };
        await foreach (var outcome in _fx.Engine.RestoreAsync(restore)) Assert.Null(outcome.Error);
        Assert.Equal(2, await db.ScalarAsync<long>("SELECT count(*) FROM t"));
    }

    [Fact]
    public async Task AnUnknownTableIsNamed()
    {
        await using var db = await PgTestDatabase.CreateAsync("unknown");
        await db.ExecAsync("CREATE TABLE present (id int PRIMARY KEY)");
        await _fx.NewCollectionAsync("unknown", targets: db.Target("db", "public.present", "public.absent"));
        var error = await Assert.ThrowsAsync<TargetUnavailableException>(() => BackupAsync("unknown", null));
        Assert.Contains("public.absent", error.Message);
        Assert.Equal(0, await db.ScalarAsync<long>($"SELECT count(*) FROM pg_replication_slots WHERE database = '{db.Name}'"));
    }

    [Fact]
    public async Task AnUnreachableServerFailsFast()
    {
        var target = new PostgreSqlTarget { Name = "gone", Host = "127.0.0.1", Port = 1, Database = "x", UserName = "postgres" };
        await _fx.NewCollectionAsync("gone", targets: target);
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<TargetUnavailableException>(() => BackupAsync("gone", null));
        Assert.Contains("127.0.0.1:1", error.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task IncrementalsNeedALogicalWalLevelAndKeys()
    {
        using var cluster = PgScratchCluster.Start("wal_level = replica");
        await using (var connection = new Npgsql.NpgsqlConnection(TestPeers.PgConnectionString(cluster.Port)))
        {
            await connection.OpenAsync();
            await PgTestDatabase.Exec(connection, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1);");
        }
        var target = new PostgreSqlTarget { Name = "replica", Host = "127.0.0.1", Port = cluster.Port, Database = "postgres", UserName = TestPeers.PgUser };
        await _fx.NewCollectionAsync("replica", targets: target);
        var error = await Assert.ThrowsAsync<PsBackupException>(() => BackupAsync("replica", null));
        Assert.Equal("WalLevelTooLow", error.ErrorId);
        Assert.Contains("wal_level = logical", error.Message);
        // Without incrementals the same server backs up fine.
        await _fx.Engine.NewCollectionAsync(new NewCollectionRequest("replica-full", [target]) { Repository = _fx.Repository });
        Assert.Equal(BackupStatus.Complete, (await BackupAsync("replica-full", null)).Backup.Status);

        await using var db = await PgTestDatabase.CreateAsync("keyless");
        await db.ExecAsync("CREATE TABLE keyed (id int PRIMARY KEY); CREATE TABLE heap (v text);");
        await _fx.NewCollectionAsync("keyless", targets: db.Target("db"));
        var keyless = await Assert.ThrowsAsync<PsBackupException>(() => BackupAsync("keyless", null));
        Assert.Equal("TableWithoutKey", keyless.ErrorId);
        Assert.Contains("public.heap", keyless.Message);
        Assert.DoesNotContain("public.keyed", keyless.Message);
        // Nothing was left on the server: a publication with a keyless table would break the application's UPDATEs.
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM pg_publication"));
        await db.ExecAsync("UPDATE heap SET v = 'still writable'");
    }

    private Task<BackupRunResult> BackupAsync(string collection, NetworkCredential? credential) =>
        _fx.Engine.InvokeBackupAsync(new BackupRequest(collection)
        {
            Repository = _fx.Repository,
            Credentials = new TargetCredentials { Default = credential },
        });

    public void Dispose() => _fx.Dispose();
}
