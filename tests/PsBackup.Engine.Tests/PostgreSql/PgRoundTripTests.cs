using PsBackup.Engine.Operations;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.PostgreSql;

/// <summary>
/// A full backup and three incrementals of tables covering the common types, NULLs and a 50 MB
/// value, with inserts, updates (also of keys and of TOASTed values) and deletes between them:
/// every point of the chain restores into an empty database row for row identical.
/// </summary>
public sealed class PgRoundTripTests : IDisposable
{
    private readonly EngineFixture _fx = new();

    private static readonly string[] Tables = ["public.kinds", "public.blobs", "shop.orders"];

    private const string Schema = """
        CREATE TABLE kinds (
          id bigserial PRIMARY KEY,
          i int CHECK (i >= 0), b bigint, n numeric(30,10), t text, by bytea, j json, jb jsonb,
          arr int[], tarr text[], ts timestamptz, u uuid UNIQUE, f float8, r real,
          note varchar(40) NOT NULL DEFAULT 'none', flag boolean, d date, iv interval,
          twice bigint GENERATED ALWAYS AS (b * 2) STORED);
        CREATE INDEX kinds_t ON kinds (t);
        CREATE INDEX kinds_lower_note ON kinds (lower(note)) WHERE flag;
        CREATE TABLE blobs (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, payload bytea);
        CREATE SCHEMA shop;
        CREATE TABLE shop.orders ("Order Id" serial PRIMARY KEY, "Customer" text, amount numeric(12,2), placed timestamptz DEFAULT now());
        """;

    private const string Rows = """
        INSERT INTO kinds (i, b, n, t, by, j, jb, arr, tarr, ts, u, f, r, note, flag, d, iv)
        SELECT g, g * 1000000000000, g / 7.0, 'text ' || g || ' ünïcödé ''"\', decode(md5(g::text), 'hex'),
               json_build_object('g', g, 'nested', json_build_array(1, 'two', null)), jsonb_build_object('k', g, 'f', 1.5),
               ARRAY[g, g + 1, NULL], ARRAY['a', NULL, 'c,d', '"q"'], '2026-01-01 00:00:00+00'::timestamptz + g * interval '37 minutes 1.123456 seconds',
               md5(g::text)::uuid, g * pi(), g / 3.0, 'note ' || g, g % 2 = 0, date '2000-02-29' + g, g * interval '1 day 3 hours'
        FROM generate_series(1, 2000) g;
        INSERT INTO kinds (note) VALUES ('all nulls');
        INSERT INTO kinds (i, f, r, t) VALUES (0, 'NaN', '-Infinity', '');
        INSERT INTO blobs (name, payload) VALUES ('big', (SELECT string_agg(sha512(g::text::bytea), '') FROM generate_series(1, 50 * 1024 * 1024 / 64) g));
        INSERT INTO blobs (name, payload) VALUES ('small', '\x00ff00'), ('null', NULL);
        INSERT INTO shop.orders ("Customer", amount) SELECT 'c' || g, g * 1.25 FROM generate_series(1, 500) g;
        """;

    private static readonly string[] Changes =
    [
        // 1: inserts, plain updates, deletes, a key change.
        """
        INSERT INTO kinds (i, t, jb) SELECT g, 'new ' || g, '{"new": true}' FROM generate_series(3000, 3100) g;
        UPDATE kinds SET t = t || ' (changed)', n = n * 2, arr = arr || 9 WHERE id % 10 = 0;
        DELETE FROM kinds WHERE id % 17 = 0;
        UPDATE shop.orders SET "Order Id" = "Order Id" + 100000 WHERE "Order Id" <= 5;
        DELETE FROM shop.orders WHERE "Order Id" BETWEEN 100 AND 120;
        """,
        // 2: the 50 MB row updated without touching its payload (unchanged TOAST), then a row inserted and deleted again.
        """
        UPDATE blobs SET name = 'big renamed' WHERE name = 'big';
        INSERT INTO shop.orders ("Customer") VALUES ('ephemeral');
        DELETE FROM shop.orders WHERE "Customer" = 'ephemeral';
        UPDATE kinds SET note = 'twice', flag = NOT coalesce(flag, false) WHERE id BETWEEN 50 AND 60;
        UPDATE kinds SET note = 'twice again' WHERE id BETWEEN 55 AND 65;
        """,
        // 3: the payload itself changed, NULLs written, many rows in one transaction.
        """
        UPDATE blobs SET payload = substring(payload from 1 for 1000000) || '\xdeadbeef' WHERE name = 'big renamed';
        UPDATE kinds SET t = NULL, jb = NULL, u = NULL WHERE id % 3 = 0 AND id < 500;
        INSERT INTO blobs (name, payload) SELECT 'row ' || g, decode(repeat('ab', g), 'hex') FROM generate_series(1, 300) g;
        DELETE FROM kinds WHERE id > 1900 AND id <= 2000;
        """,
    ];

    [Fact]
    public async Task EveryPointOfAChainRestoresIdentical()
    {
        await using var source = await PgTestDatabase.CreateAsync("rt");
        await source.ExecAsync(Schema);
        await source.ExecAsync(Rows);
        await _fx.NewCollectionAsync("pg", targets: source.Target("shop", Tables));
        Providers.PostgreSql.PgFullBackup.PartBytes = 256 << 10; // split kinds into block ranges too

        var points = new List<(string Id, Dictionary<string, string> Expected)>();
        var full = await _fx.BackupAsync("pg");
        points.Add((full.Id, await FingerprintsAsync(source)));
        var parts = Directory.GetFiles(Path.Combine(_fx.Repository, "collections", "pg", "backups", full.Id, "shop"), "table-*-*");
        Assert.True(parts.Length >= 2, $"kinds was not split into block ranges: {string.Join(", ", parts.Select(Path.GetFileName))}");
        foreach (var change in Changes)
        {
            await source.ExecAsync(change);
            var incremental = await _fx.BackupAsync("pg", BackupType.Incremental);
            points.Add((incremental.Id, await FingerprintsAsync(source)));
        }

        foreach (var (id, expected) in points)
        {
            await using var restored = await PgTestDatabase.CreateAsync("rtdst");
            var outcome = Assert.Single(await _fx.RestoreAsync(id, restored.Name));
            Assert.Null(outcome.Error);
            Assert.Equal(Tables.Length, outcome.Result!.ItemCount);
            Assert.Equal(expected, await FingerprintsAsync(restored));
        }
    }

    /// <summary>Rows of each table in key order, the owned sequences' positions, and the indexes and constraints by definition.</summary>
    internal static async Task<Dictionary<string, string>> FingerprintsAsync(PgTestDatabase db, string prefix = "")
    {
        var result = new Dictionary<string, string>
        {
            ["kinds"] = await db.FingerprintAsync($"public.{prefix}kinds", "id"),
            ["blobs"] = await db.FingerprintAsync($"public.{prefix}blobs", "id"),
            ["orders"] = await db.FingerprintAsync($"shop.\"{prefix}orders\"", "\"Order Id\""),
            ["sequences"] = await db.ScalarAsync<string>($"""
                SELECT string_agg(replace(s.sequencename, '{prefix}', '') || '=' || coalesce(s.last_value::text, 'unset'), ',' ORDER BY s.sequencename)
                FROM pg_sequences s WHERE s.sequencename LIKE '{prefix}%'
                  AND (s.schemaname, s.sequencename) IN (SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                       JOIN pg_depend d ON d.objid = c.oid AND d.deptype IN ('a', 'i')
                       JOIN pg_class t ON t.oid = d.refobjid WHERE t.relname IN ('{prefix}kinds', '{prefix}blobs', '{prefix}orders'))
                """),
            ["indexes"] = await db.ScalarAsync<string>($"""
                SELECT string_agg(d, E'\n' ORDER BY d) FROM (
                  SELECT regexp_replace(pg_get_indexdef(i.indexrelid), '{prefix}', '', 'g') AS d
                  FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname IN ('{prefix}kinds', '{prefix}blobs', '{prefix}orders')) x
                """),
            ["constraints"] = await db.ScalarAsync<string>($"""
                SELECT string_agg(d, E'\n' ORDER BY d) FROM (
                  SELECT replace(conname, '{prefix}', '') || ' ' || pg_get_constraintdef(c.oid) AS d
                  FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid WHERE t.relname IN ('{prefix}kinds', '{prefix}blobs', '{prefix}orders')) x
                """),
        };
        return result;
    }

    public void Dispose() => _fx.Dispose();
}
