using System.Text;
using Npgsql;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers.Capabilities;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>
/// Restore drills of PostgreSQL tables: a scratch database (psbackup_drill_…) is created on the
/// target's server, or on -DrillServer, the tables are restored into it as Restore-Backup would,
/// every table is read back with COPY and its rows counted and hashed exactly as the backup did
/// (<see cref="PgRowHash"/>), compared with the backup's row check (<see cref="PgRowCheck"/>), and
/// the database is dropped (WITH (FORCE)). The live database is never written.
/// </summary>
internal static class PgTableDrill
{
    public static string Describe(BackupTarget target, DrillSettings settings)
    {
        var server = Server((PostgreSqlTarget)target, settings.DrillServer);
        return $"a new database psbackup_drill_… on {server.Host}:{server.Port} (dropped afterwards{(settings.KeepRestored ? "; kept with -KeepRestored" : "")})";
    }

    public static async Task<DrillScratch> CreateAsync(BackupTarget target, DrillSettings settings, CancellationToken ct)
    {
        var table = (PostgreSqlTarget)target;
        var server = Server(table, settings.DrillServer);
        var onSource = settings.DrillServer == null;
        var admin = PgTableProvider.Session(PgConnections.Builder(server, onSource ? table.Database : "postgres", settings.Credential));
        var name = $"psbackup_drill_{settings.DrillId.ToLowerInvariant()}_{Guid.NewGuid().ToString("N")[..6]}";
        try
        {
            await using var connection = await PgConnections.OpenAsync(admin, ct).ConfigureAwait(false);
            // The source database's encoding and locale, so text comes back as it went; template0: nothing but what the restore creates.
            var like = "";
            if (onSource)
            {
                await using var command = new NpgsqlCommand(
                    "SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database WHERE datname = current_database()", connection);
                await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                if (await reader.ReadAsync(ct).ConfigureAwait(false))
                    like = $" ENCODING {PgSql.Literal(reader.GetString(0))} LC_COLLATE {PgSql.Literal(reader.GetString(1))} LC_CTYPE {PgSql.Literal(reader.GetString(2))}";
            }
            await connection.ExecuteAsync($"CREATE DATABASE {PgSql.Ident(name)} TEMPLATE template0{like}", ct).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new TargetAuthenticationException(
                $"PostgreSQL {server.Host}:{server.Port}: user '{admin.Username}' may not create the drill's scratch database ({e.MessageText}). " +
                "Grant CREATEDB (ALTER ROLE … CREATEDB), or give -DrillServer with a login that may.", e);
        }
        catch (Exception e) when (e is not OperationCanceledException and not PsBackupException)
        {
            throw PgConnections.Translate(e, admin);
        }
        var scratch = PgConnections.Builder(server, name, null);
        return new DatabaseScratch(admin, name, $"Host={scratch.Host};Port={scratch.Port};Database={name}" + (scratch.Username is { } user ? $";Username={user}" : ""), settings);
    }

    public static async Task<IReadOnlyList<DrillCheck>> VerifyAsync(TargetRestoreContext restored, DrillScratch drillScratch, CancellationToken ct)
    {
        var scratch = (DatabaseScratch)drillScratch;
        var settings = scratch.Settings;
        var target = (PostgreSqlTarget)restored.Target;
        var full = restored.Chain.First(b => b.Targets.Exists(t => t.Name == target.Name && t.Status == TargetStatus.Complete));
        PgSchemaDocument schema;
        await using (var stream = await restored.OpenArtifactAsync(full.Id, PgTableProvider.SchemaArtifact, ct).ConfigureAwait(false))
            schema = await PgTableProvider.ReadSchemaAsync(stream, ct).ConfigureAwait(false);
        var state = restored.HeadRecord.State?.ToObject<PgState>(Json.Serializer);
        var recorded = state?.RowCheck;
        if (recorded != null)
            FormatVersion.Check(PgRowCheck.DocumentType, null, recorded.Version, "The row check of this backup", restored.Head.Id);
        var byName = recorded?.Tables.ToDictionary(t => t.Table, StringComparer.Ordinal);

        await scratch.StopWarmUpAsync().ConfigureAwait(false);
        var builder = PgTableProvider.Session(PgDestination.Resolve(target, scratch.Destination, restored.Credential));
        // COPY sends a message per row, and Npgsql's copy stream hands out one per read: a larger read buffer means fewer
        // socket reads under them (measured, 1 GB of ~1 KB rows on 2 cores: client CPU 2.8 s with the default 8 KB, 2.2 s with 1 MB).
        builder.ReadBufferSize = ReadBackBuffer;
        var tables = schema.Tables.Where(t => t.PartitionKey == null).ToList();
        var observed = tables.ToDictionary(t => t.QualifiedName, t => new PgRowHash(t.CopyFormat == "text"), StringComparer.Ordinal);
        // A large table is read in block ranges on parallel connections, as the backup read it: the sum is order-independent, so the parts' sums add up.
        var parts = await PartsAsync(builder, tables, ct).ConfigureAwait(false);
        using (scratch.Stages.Time("checks: rows read back"))
        await Workers.RunAsync(parts.OrderByDescending(p => p.Bytes), restored.ThrottleLimit, async (work, token) =>
        {
            var hash = await HashAsync(builder, work.Table, work.Part, token).ConfigureAwait(false);
            lock (observed) observed[work.Table.QualifiedName].Add(hash);
        }, ct).ConfigureAwait(false);

        var checks = tables.Select(t => Compare(t.QualifiedName, observed[t.QualifiedName], byName)).ToList();
        if (byName != null)
        {
            var missing = byName.Keys.Where(name => !observed.ContainsKey(name)).ToList();
            checks.Insert(0, new DrillCheck("tables against the backup's record", $"{byName.Count} tables with rows", missing.Count == 0
                ? $"{observed.Count} restored" : $"{missing.Count} recorded but not in the schema: {string.Join(", ", missing.Take(5))}", missing.Count == 0));
        }
        if (settings.VerifyQuery is { } query)
        {
            if (PgVerifyQuery.Split(query).Database != null)
                checks.Add(new DrillCheck(PgVerifyQuery.CheckName, "a query on the scratch database", "a \\c line: a table drill has one database; leave it out", false));
            else
            {
                // The caller's query runs as the caller would run it: the database's own search_path, not the restore's pg_catalog.
                var plain = PgDestination.Resolve(target, scratch.Destination, restored.Credential);
                await using var connection = await PgConnections.OpenAsync(plain, ct).ConfigureAwait(false);
                checks.Add(await PgVerifyQuery.RunAsync(connection, query, ct).ConfigureAwait(false));
            }
        }
        return checks;
    }

    private const int ReadBackBuffer = 1 << 20;

    private static DrillCheck Compare(string table, PgRowHash observed, Dictionary<string, PgTableRows>? recorded)
    {
        var seen = $"{observed.Rows} rows, sum {PgRowHash.Format(observed.Sum)}";
        if (recorded == null)
            return new DrillCheck($"rows of {table} (not recorded by this backup, which predates row checks: counted only)", "not recorded", $"{observed.Rows} rows", true);
        if (!recorded.TryGetValue(table, out var expected))
            return new DrillCheck($"rows of {table}", "recorded", $"not in the backup's record; {observed.Rows} rows restored", false);
        if (expected.Sum == null)
            return new DrillCheck($"rows of {table} (count only: changed by an incremental, whose log holds no old rows to hash)",
                $"{expected.Rows} rows", $"{observed.Rows} rows", expected.Rows == observed.Rows);
        return new DrillCheck($"rows of {table}", $"{expected.Rows} rows, sum {expected.Sum}", seen,
            expected.Rows == observed.Rows && string.Equals(expected.Sum, PgRowHash.Format(observed.Sum), StringComparison.Ordinal));
    }

    /// <summary>Each table's block ranges (<see cref="PgFullBackup.BlockRanges"/>) by its size in the scratch database, with the bytes each holds.</summary>
    private static async Task<List<(PgTableDefinition Table, PgDataPart Part, long Bytes)>> PartsAsync(NpgsqlConnectionStringBuilder builder,
        List<PgTableDefinition> tables, CancellationToken ct)
    {
        var parts = new List<(PgTableDefinition, PgDataPart, long)>();
        await using var connection = await PgConnections.OpenAsync(builder, ct).ConfigureAwait(false);
        foreach (var table in tables)
        {
            await using var command = new NpgsqlCommand("SELECT pg_catalog.pg_relation_size(pg_catalog.to_regclass($1))", connection);
            command.Parameters.AddWithValue(PgSql.Table(table.Schema, table.Name));
            var bytes = await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is long size ? size : 0;
            var ranges = PgFullBackup.BlockRanges(bytes);
            parts.AddRange(ranges.Select(part => (table, part, bytes / ranges.Count)));
        }
        return parts;
    }

    /// <summary>One part of a table's stored columns read back with COPY in the format the backup used, hashed as the backup hashed them.</summary>
    private static async Task<PgRowHash> HashAsync(NpgsqlConnectionStringBuilder builder, PgTableDefinition table, PgDataPart part, CancellationToken ct)
    {
        await using var connection = await PgConnections.OpenAsync(builder, ct).ConfigureAwait(false);
        var text = table.CopyFormat == "text";
        var hash = new PgRowHash(text);
        var command = PgFullBackup.CopyCommand(table, part);
        if (text)
        {
            // The backup wrote the text reader's characters as UTF-8; so are they hashed here.
            using var reader = await connection.BeginTextExportAsync(command, ct).ConfigureAwait(false);
            var encoder = new UTF8Encoding(false).GetEncoder();
            var chars = new char[1 << 16];
            var bytes = new byte[new UTF8Encoding(false).GetMaxByteCount(chars.Length)];
            int n;
            while ((n = await reader.ReadAsync(chars, ct).ConfigureAwait(false)) > 0)
                hash.Append(bytes.AsSpan(0, encoder.GetBytes(chars, 0, n, bytes, 0, flush: false)));
            hash.Append(bytes.AsSpan(0, encoder.GetBytes([], 0, 0, bytes, 0, flush: true)));
        }
        else
        {
            await using var copy = await connection.BeginRawBinaryCopyAsync(command, ct).ConfigureAwait(false);
            var buffer = new byte[1 << 18];
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                var filled = PgFullBackup.Fill(copy, buffer);
                if (filled == 0) break;
                hash.Append(buffer.AsSpan(0, filled));
            }
        }
        hash.Complete($"Table {table.QualifiedName} of the drill's scratch database");
        return hash;
    }

    /// <summary>The server scratch databases go to: -DrillServer (host, host:port or postgresql://[user@]host[:port]) or the target's own.</summary>
    private static PostgreSqlTarget Server(PostgreSqlTarget target, string? drillServer)
    {
        if (string.IsNullOrWhiteSpace(drillServer)) return target;
        string host;
        var port = 5432;
        var user = target.UserName;
        if (drillServer.Contains("://", StringComparison.Ordinal))
        {
            if (!Uri.TryCreate(drillServer, UriKind.Absolute, out var uri) || uri.Scheme is not ("postgresql" or "postgres") || uri.UserInfo.Contains(':'))
                throw new InvalidBackupRequestException("InvalidDrillServer",
                    $"-DrillServer '{SecretMasker.Hide(drillServer)}' is not a PostgreSQL server: give host, host:port or postgresql://[user@]host[:port], and the password with -Credential.");
            (host, port) = (uri.Host, uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port);
            if (uri.UserInfo.Length > 0) user = Uri.UnescapeDataString(uri.UserInfo);
        }
        else
        {
            var colon = drillServer.LastIndexOf(':');
            host = colon > 0 ? drillServer[..colon] : drillServer;
            if (colon > 0 && !int.TryParse(drillServer[(colon + 1)..], out port))
                throw new InvalidBackupRequestException("InvalidDrillServer", $"-DrillServer '{drillServer}': '{drillServer[(colon + 1)..]}' is not a port.");
        }
        return new PostgreSqlTarget { Name = target.Name, Host = host, Port = port, UserName = user, SslMode = target.SslMode, Database = "postgres" };
    }

    /// <summary>
    /// The scratch database: dropped with WITH (FORCE) (the drill's own sessions may linger), unless
    /// kept. From its creation until the checks, the row hash is warmed up (<see cref="PgRowHash.WarmUpAsync"/>).
    /// </summary>
    private sealed class DatabaseScratch(NpgsqlConnectionStringBuilder admin, string name, string destination, DrillSettings settings) : DrillScratch
    {
        private readonly (CancellationTokenSource Stop, Task Task) _warmUp = StartWarmUp();

        public DrillSettings Settings => settings;

        private static (CancellationTokenSource, Task) StartWarmUp()
        {
            var stop = new CancellationTokenSource();
            return (stop, Task.Run(() => PgRowHash.WarmUpAsync(stop.Token), CancellationToken.None));
        }

        public async Task StopWarmUpAsync()
        {
            if (!_warmUp.Stop.IsCancellationRequested) await _warmUp.Stop.CancelAsync().ConfigureAwait(false);
            await _warmUp.Task.ConfigureAwait(false);
        }

        public override string Destination => destination;

        public override string Location => $"database {name} on {admin.Host}:{admin.Port}";

        public override async ValueTask DisposeAsync()
        {
            await StopWarmUpAsync().ConfigureAwait(false);
            _warmUp.Stop.Dispose();
            if (settings.KeepRestored) return;
            try
            {
                using var _ = Stages.Time("clean-up: DROP DATABASE");
                await using var connection = await PgConnections.OpenAsync(admin, CancellationToken.None).ConfigureAwait(false);
                await connection.ExecuteAsync($"DROP DATABASE IF EXISTS {PgSql.Ident(name)} WITH (FORCE)", CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NpgsqlException or PsBackupException or TimeoutException)
            {
                throw new DrillCleanupFailedException(
                    $"The drill's scratch database {name} on {admin.Host}:{admin.Port} could not be dropped ({e.Message}). Drop it by hand: DROP DATABASE {PgSql.Ident(name)} WITH (FORCE);", e);
            }
        }
    }
}
