using System.Security.Cryptography;
using Newtonsoft.Json.Linq;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Providers.PostgreSql;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.PostgreSql;

/// <summary>
/// The switches and refusals around schema restores: privileges only on request (and only with
/// their roles), foreign keys to tables outside the collection, a different type at the
/// destination, definitions changed under an incremental chain, existing tables whose triggers and
/// foreign keys must stay quiet, and backups whose schema artifact has format version 1.
/// </summary>
public sealed class PgSchemaBehaviourTests : IDisposable
{
    private readonly EngineFixture _fx = new();

    [Fact]
    public async Task OwnersAndPrivilegesComeBackOnlyWithIncludePrivilegesAndOnlyWhenTheirRolesExist()
    {
        await using var source = await PgTestDatabase.CreateAsync("privs");
        await source.ExecAsync("""
            DO $$ BEGIN
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'psb13_owner') THEN CREATE ROLE psb13_owner; END IF;
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'psb13_reader') THEN CREATE ROLE psb13_reader; END IF;
            END $$;
            CREATE SCHEMA sec AUTHORIZATION psb13_owner;
            CREATE TYPE sec.level AS ENUM ('public', 'secret');
            ALTER TYPE sec.level OWNER TO psb13_owner;
            CREATE FUNCTION sec.stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.at = now(); RETURN NEW; END $$;
            ALTER FUNCTION sec.stamp() OWNER TO psb13_owner;
            REVOKE ALL ON FUNCTION sec.stamp() FROM PUBLIC;
            CREATE TABLE sec.docs (id serial PRIMARY KEY, title text, level sec.level, at timestamptz);
            ALTER TABLE sec.docs OWNER TO psb13_owner;
            GRANT SELECT ON sec.docs TO psb13_reader;
            GRANT UPDATE (title) ON sec.docs TO psb13_reader WITH GRANT OPTION;
            GRANT USAGE ON SEQUENCE sec.docs_id_seq TO psb13_reader;
            CREATE TRIGGER stamp BEFORE INSERT ON sec.docs FOR EACH ROW EXECUTE FUNCTION sec.stamp();
            INSERT INTO sec.docs (title, level) SELECT 'doc ' || g, 'secret' FROM generate_series(1, 50) g;
            """);
        await _fx.NewCollectionAsync("privs", targets: source.Target("db", "sec.*"));
        var full = await _fx.BackupAsync("privs");
        var rows = await PgSchemaDump.RowsAsync(source, ["sec.docs"]);

        await using (var with = await PgTestDatabase.CreateAsync("privsdst"))
        {
            var outcome = await RestoreAsync(full.Id, with.Name, new PgTableRestoreOptions { IncludePrivileges = true });
            Assert.Null(outcome.Error);
            await PgSchemaDump.AssertSameSchemaAsync(source.Name, with.Name, new PgSchemaDump.Scope { Privileges = true });
            Assert.Equal(rows, await PgSchemaDump.RowsAsync(with, ["sec.docs"]));
        }
        await using (var without = await PgTestDatabase.CreateAsync("privsdst"))
        {
            var outcome = await RestoreAsync(full.Id, without.Name);
            Assert.Null(outcome.Error);
            await PgSchemaDump.AssertSameSchemaAsync(source.Name, without.Name, new PgSchemaDump.Scope());
            Assert.Equal("postgres|true", await without.ScalarAsync<string>(
                "SELECT pg_get_userbyid(relowner) || '|' || (relacl IS NULL) FROM pg_class WHERE oid = 'sec.docs'::regclass"));
        }

        // Next to the originals: the prefixed table, its sequence and its privileges; the shared type and function keep theirs.
        var drill = await RestoreAsync(full.Id, null, new PgTableRestoreOptions { IncludePrivileges = true }, prefix: "rx_");
        Assert.Null(drill.Error);
        await PgSchemaDump.AssertSameSchemaAsync(source.Name, source.Name, new PgSchemaDump.Scope { Relations = ["sec.docs"], Privileges = true }, "rx_");
        Assert.Equal(rows, await PgSchemaDump.RowsAsync(source, ["sec.docs"], "rx_"));

        // A role granted at backup time and gone since: refused before anything is written.
        await source.ExecAsync("""
            DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'psb13_gone') THEN CREATE ROLE psb13_gone; END IF; END $$;
            GRANT SELECT ON sec.docs TO psb13_gone;
            """);
        var granted = await _fx.BackupAsync("privs");
        await source.ExecAsync("REVOKE ALL ON sec.docs FROM psb13_gone; DROP ROLE psb13_gone;");
        await using var missing = await PgTestDatabase.CreateAsync("privsdst");
        var refused = await RestoreAsync(granted.Id, missing.Name, new PgTableRestoreOptions { IncludePrivileges = true });
        Assert.Equal("RestoreRoleMissing", refused.Error?.ErrorId);
        Assert.Contains("psb13_gone", refused.Error!.Message);
        Assert.Equal(0, await missing.ScalarAsync<long>("SELECT count(*) FROM pg_namespace WHERE nspname = 'sec'"));
        Assert.Null((await RestoreAsync(granted.Id, missing.Name)).Error); // without the switch the role does not matter
    }

    [Fact]
    public async Task ATypeThatExistsDifferentlyIsRefusedAndOneThatExistsIdenticallyIsShared()
    {
        await using var source = await PgTestDatabase.CreateAsync("conflict");
        await source.ExecAsync("""
            CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
            CREATE DOMAIN score AS integer CHECK (VALUE BETWEEN 0 AND 10);
            CREATE TABLE moods (id int PRIMARY KEY, mood mood, score score);
            INSERT INTO moods SELECT g, (enum_range(NULL::mood))[1 + g % 3], g % 11 FROM generate_series(1, 100) g;
            """);
        await _fx.NewCollectionAsync("conflict", targets: source.Target("db", "moods"));
        var full = await _fx.BackupAsync("conflict");

        await using var different = await PgTestDatabase.CreateAsync("conflictdst");
        await different.ExecAsync("CREATE TYPE mood AS ENUM ('sad', 'happy', 'ok'); CREATE DOMAIN score AS integer CHECK (VALUE BETWEEN 0 AND 100);");
        var refused = await RestoreAsync(full.Id, different.Name);
        Assert.Equal("RestoreDefinitionConflict", refused.Error?.ErrorId);
        Assert.Contains("enum public.mood", refused.Error!.Message);
        Assert.Contains("domain public.score", refused.Error.Message);
        Assert.Equal(0, await different.ScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname = 'moods'"));

        await using var same = await PgTestDatabase.CreateAsync("conflictdst");
        await same.ExecAsync("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy'); CREATE DOMAIN score AS integer CHECK (VALUE BETWEEN 0 AND 10);");
        Assert.Null((await RestoreAsync(full.Id, same.Name)).Error);
        Assert.Equal(await source.FingerprintAsync("moods", "id"), await same.FingerprintAsync("moods", "id"));
        Assert.Equal(1, await same.ScalarAsync<long>("SELECT count(*) FROM pg_type WHERE typname = 'mood'"));

        // A restore that fails after creating types drops them again.
        await using var clash = await PgTestDatabase.CreateAsync("conflictdst");
        await clash.ExecAsync("CREATE TABLE moods (id int PRIMARY KEY)"); // exists, empty: loading into it fails (no column mood)
        var failed = await RestoreAsync(full.Id, clash.Name);
        Assert.Equal("RestoreFailed", failed.Error?.ErrorId);
        Assert.Equal(0, await clash.ScalarAsync<long>("SELECT count(*) FROM pg_type WHERE typname IN ('mood', 'score')"));
    }

    [Fact]
    public async Task AForeignKeyToATableOutsideTheCollectionIsReportedAndRestoredOnlyOnRequest()
    {
        await using var source = await PgTestDatabase.CreateAsync("extfk");
        await source.ExecAsync("""
            CREATE TABLE parents (id int PRIMARY KEY);
            CREATE TABLE children (id int PRIMARY KEY, parent_id int CONSTRAINT children_parent_fkey REFERENCES parents);
            INSERT INTO parents SELECT g FROM generate_series(1, 10) g;
            INSERT INTO children SELECT g, 1 + g % 10 FROM generate_series(1, 100) g;
            """);
        await _fx.NewCollectionAsync("extfk", targets: source.Target("db", "children"));
        var backup = await _fx.Engine.InvokeBackupAsync(new BackupRequest("extfk") { Repository = _fx.Repository });
        Assert.Contains(backup.Warnings, w => w.Contains("children_parent_fkey") && w.Contains("public.parents") && w.Contains("-IncludeExternalForeignKeys"));
        var id = backup.Backup.Id;
        const string keys = "SELECT count(*) FROM pg_constraint WHERE conname = 'children_parent_fkey'";

        await using var plain = await PgTestDatabase.CreateAsync("extfkdst");
        var outcome = await RestoreAsync(id, plain.Name);
        Assert.Null(outcome.Error);
        Assert.Contains(outcome.Warnings, w => w.Contains("children_parent_fkey") && w.Contains("not restored"));
        Assert.Equal(0, await plain.ScalarAsync<long>(keys));
        await PgSchemaDump.AssertSameSchemaAsync(source.Name, plain.Name, 
            new PgSchemaDump.Scope { Relations = ["public.children"], Ignore = ["children_parent_fkey"] });

        await using var absent = await PgTestDatabase.CreateAsync("extfkdst");
        outcome = await RestoreAsync(id, absent.Name, new PgTableRestoreOptions { IncludeExternalForeignKeys = true });
        Assert.Null(outcome.Error);
        Assert.Contains(outcome.Warnings, w => w.Contains("does not exist"));
        Assert.Equal(0, await absent.ScalarAsync<long>(keys));

        await using var present = await PgTestDatabase.CreateAsync("extfkdst");
        await present.ExecAsync("CREATE TABLE parents (id int PRIMARY KEY); INSERT INTO parents SELECT g FROM generate_series(1, 10) g;");
        outcome = await RestoreAsync(id, present.Name, new PgTableRestoreOptions { IncludeExternalForeignKeys = true });
        Assert.Null(outcome.Error);
        Assert.Empty(outcome.Warnings);
        await PgSchemaDump.AssertSameSchemaAsync(source.Name, present.Name, new PgSchemaDump.Scope());
        Assert.Equal(await source.FingerprintAsync("children", "id"), await present.FingerprintAsync("children", "id"));

        // Next to the originals, the prefixed table's key references the original table outside the collection.
        outcome = await RestoreAsync(id, null, new PgTableRestoreOptions { IncludeExternalForeignKeys = true }, prefix: "rx_");
        Assert.Null(outcome.Error);
        Assert.Equal("FOREIGN KEY (parent_id) REFERENCES parents(id)", await source.ScalarAsync<string>(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'rx_children_parent_fkey' AND conrelid = 'rx_children'::regclass"));
    }

    [Fact]
    public async Task AnIncrementalFailsClearlyWhenATableOrATypeChangedSinceTheFull()
    {
        await using var source = await PgTestDatabase.CreateAsync("changed");
        await source.ExecAsync("""
            CREATE TYPE mood AS ENUM ('sad', 'ok');
            CREATE TABLE t (id int PRIMARY KEY, mood mood, n int);
            INSERT INTO t SELECT g, 'ok', g FROM generate_series(1, 10) g;
            """);
        await _fx.NewCollectionAsync("changed", targets: source.Target("db", "t"));
        await _fx.BackupAsync("changed");
        await source.ExecAsync("ALTER TYPE mood ADD VALUE 'happy'; ");
        await source.ExecAsync("UPDATE t SET mood = 'happy' WHERE id = 1;");
        var enumChanged = await Assert.ThrowsAsync<PsBackupException>(() => IncrementalAsync("changed"));
        Assert.Equal("TableDefinitionChanged", enumChanged.ErrorId);
        Assert.Contains("enum public.mood", enumChanged.Message);

        await _fx.BackupAsync("changed");
        await source.ExecAsync("ALTER TABLE t ALTER COLUMN n TYPE bigint; INSERT INTO t VALUES (100, 'sad', 1);");
        var retyped = await Assert.ThrowsAsync<PsBackupException>(() => IncrementalAsync("changed"));
        Assert.Equal("TableDefinitionChanged", retyped.ErrorId);
        Assert.Contains("column n", retyped.Message);

        await _fx.BackupAsync("changed"); // a new full starts a chain that works again
        await source.ExecAsync("INSERT INTO t VALUES (101, 'happy', 5000000000);");
        var head = await IncrementalAsync("changed");
        await using var restored = await PgTestDatabase.CreateAsync("changeddst");
        Assert.Null((await RestoreAsync(head.Backup.Id, restored.Name)).Error);
        Assert.Equal(await source.FingerprintAsync("t", "id"), await restored.FingerprintAsync("t", "id"));
    }

    [Fact]
    public async Task ExistingTablesAreReplacedWithoutFiringTheirTriggersOrForeignKeys()
    {
        await using var db = await PgTestDatabase.CreateAsync("inplace");
        await db.ExecAsync("""
            CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.changed = clock_timestamp(); RETURN NEW; END $$;
            CREATE TABLE teams (id int PRIMARY KEY, name text, changed timestamptz);
            CREATE TABLE people (id int PRIMARY KEY, team_id int REFERENCES teams ON DELETE CASCADE, changed timestamptz);
            CREATE TRIGGER touch BEFORE INSERT OR UPDATE ON teams FOR EACH ROW EXECUTE FUNCTION touch();
            CREATE TRIGGER touch BEFORE INSERT OR UPDATE ON people FOR EACH ROW EXECUTE FUNCTION touch();
            INSERT INTO teams SELECT g, 'team ' || g FROM generate_series(1, 10) g;
            INSERT INTO people SELECT g, 1 + g % 10 FROM generate_series(1, 200) g;
            """);
        await _fx.NewCollectionAsync("inplace", targets: db.Target("db", "teams", "people"));
        await _fx.BackupAsync("inplace");
        await db.ExecAsync("UPDATE teams SET name = 'renamed' WHERE id = 3; DELETE FROM teams WHERE id = 4;");
        var head = await _fx.BackupAsync("inplace", BackupType.Incremental);
        var expected = await PgSchemaDump.RowsAsync(db, ["public.teams", "public.people"]);

        await db.ExecAsync("DELETE FROM teams WHERE id > 5; INSERT INTO people VALUES (1000, 1);");
        var outcome = Assert.Single(await _fx.RestoreAsync(head.Id, db.Name, force: true));
        Assert.Null(outcome.Error);
        Assert.Equal(expected, await PgSchemaDump.RowsAsync(db, ["public.teams", "public.people"])); // changed stamps are the backup's, not new ones
        await db.ExecAsync("INSERT INTO people VALUES (2000, 3)");
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => db.ExecAsync("INSERT INTO people VALUES (2001, 4)")); // the key still holds
    }

    [Fact]
    public async Task UnloggedTablesAndStorageParametersComeBack()
    {
        await using var source = await PgTestDatabase.CreateAsync("unlogged");
        await source.ExecAsync("""
            CREATE UNLOGGED TABLE cache (k text PRIMARY KEY, v jsonb) WITH (fillfactor = 60, autovacuum_enabled = false);
            INSERT INTO cache SELECT 'k' || g, jsonb_build_object('g', g) FROM generate_series(1, 100) g;
            """);
        await _fx.NewCollectionAsync("unlogged", incremental: false, targets: source.Target("db", "cache")); // unlogged tables cannot be published
        var full = await _fx.BackupAsync("unlogged");
        await using var restored = await PgTestDatabase.CreateAsync("unloggeddst");
        Assert.Null((await RestoreAsync(full.Id, restored.Name)).Error);
        await PgSchemaDump.AssertSameSchemaAsync(source.Name, restored.Name, new PgSchemaDump.Scope());
        Assert.Equal(await source.FingerprintAsync("cache", "k"), await restored.FingerprintAsync("cache", "k"));
    }

    [Fact]
    public async Task ABackupWithAVersion1SchemaArtifactStillRestores()
    {
        await using var source = await PgTestDatabase.CreateAsync("v1");
        await source.ExecAsync("""
            CREATE TABLE items (id serial PRIMARY KEY, n int CHECK (n >= 0), name text UNIQUE);
            CREATE TABLE logs (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at timestamptz DEFAULT now(), line text);
            CREATE INDEX logs_at ON logs (at);
            INSERT INTO items (n, name) SELECT g, 'item ' || g FROM generate_series(1, 300) g;
            INSERT INTO logs (line) SELECT 'line ' || g FROM generate_series(1, 300) g;
            """);
        await _fx.NewCollectionAsync("v1", compression: CompressionKind.None, targets: source.Target("db", "items", "logs"));
        var full = await _fx.BackupAsync("v1");
        RewriteAsVersion1(full.Id);
        await source.ExecAsync("UPDATE items SET n = n + 1 WHERE id % 2 = 0; INSERT INTO logs (line) VALUES ('later');");
        var head = await _fx.BackupAsync("v1", BackupType.Incremental); // reads the version 1 schema of its base
        Assert.All(await _fx.VerifyAsync(head.Id), f => Assert.Equal(VerificationStatus.Ok, f.Status));

        await using var restored = await PgTestDatabase.CreateAsync("v1dst");
        Assert.Null((await RestoreAsync(head.Id, restored.Name)).Error);
        Assert.Equal(await PgSchemaDump.RowsAsync(source, ["public.items", "public.logs"]), await PgSchemaDump.RowsAsync(restored, ["public.items", "public.logs"]));
        Assert.Equal(await PgSchemaDump.SequencesAsync(source), await PgSchemaDump.SequencesAsync(restored));
        await PgSchemaDump.AssertSameSchemaAsync(source.Name, restored.Name, new PgSchemaDump.Scope());

        var drill = await RestoreAsync(head.Id, null, prefix: "rx_");
        Assert.Null(drill.Error);
        Assert.Equal(await source.FingerprintAsync("items", "id"), await source.FingerprintAsync("rx_items", "id"));
        Assert.Equal("rx_items_id_seq", await source.ScalarAsync<string>("SELECT pg_get_serial_sequence('rx_items', 'id')::regclass::text"));
    }

    /// <summary>Turns a full backup's schema artifact into what PsBackup wrote before version 2 (uncompressed, unencrypted collection), and fixes its manifest entry.</summary>
    private void RewriteAsVersion1(string backupId)
    {
        var folder = Path.Combine(_fx.Repository, "collections", "v1", "backups", backupId);
        var manifestPath = Path.Combine(folder, "manifest.json");
        var manifest = Tamper.Read(manifestPath);
        var artifact = (JObject)manifest["targets"]![0]!["artifacts"]!.First(a => (string)a["name"]! == "schema");
        var path = Path.Combine(folder, (string)artifact["path"]!);
        var schema = JObject.Parse(File.ReadAllText(path));
        schema["formatVersion"] = 1;
        schema.Remove("dependencies");
        string[] added = ["partitionKey", "partitionOf", "partitionBound", "copyFormat", "foreignKeys", "triggers", "comment", "owner", "grants",
                          "printedName", "typeOid", "printed", "parentIndex", "replicaIdentityIndex", "unlogged", "options"];
        foreach (var property in schema.Descendants().OfType<JProperty>().Where(p => added.Contains(p.Name)).ToList())
            property.Remove();
        var bytes = System.Text.Encoding.UTF8.GetBytes(schema.ToString());
        File.WriteAllBytes(path, bytes);
        artifact["size"] = bytes.Length;
        artifact["storedSize"] = bytes.Length;
        artifact["sha256"] = Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();
        if (artifact["storedSha256"] != null) artifact["storedSha256"] = artifact["sha256"];
        Tamper.Write(manifestPath, manifest); // resealed, as PsBackup wrote it

    }

    private Task<BackupRunResult> IncrementalAsync(string collection) =>
        _fx.Engine.InvokeBackupAsync(new BackupRequest(collection) { Repository = _fx.Repository, Type = BackupType.Incremental });

    private async Task<RestoreOutcome> RestoreAsync(string id, string? destination, PgTableRestoreOptions? options = null, string? prefix = null)
    {
        RestoreOutcome? result = null;
        await foreach (var outcome in _fx.Engine.RestoreAsync(new RestoreRequest(id)
                       {
                           Repository = _fx.Repository, Destination = destination, Options = [(options ?? new PgTableRestoreOptions()) with { TablePrefix = prefix }],
                       }))
            result = outcome;
        return result!;
    }

    public void Dispose() => _fx.Dispose();
}
