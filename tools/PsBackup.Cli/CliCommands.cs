using System.Text.Json;
using PsBackup.Engine;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Providers;
using PsBackup.Engine.Providers.Files;
using PsBackup.Engine.Providers.MongoDb;
using PsBackup.Engine.Providers.PostgreSql;
using PsBackup.Engine.Providers.PostgreSql.Cluster;
using PsBackup.Engine.Providers.Redis;

namespace PsBackup.Cli;

/// <summary>The CLI's commands; each maps to one engine call and prints its objects as JSON lines.</summary>
internal static class CliCommands
{
    private const string Usage = """
        usage: psbackup-cli <command> [arguments] [--repository DIR]
          version                              the PsBackup version (module, engine and this program share it)
          demo                                 back up and restore a sample directory through the default repository
          new-collection NAME PATH [--incremental] [--compression zstd|brotli|gzip|none] [--encrypt] [--include GLOB]... [--exclude GLOB]... [--no-xattrs] [--use-ctime]
          new-collection NAME postgresql://[USER@]HOST[:PORT]/DATABASE [--table SCHEMA.TABLE]... [--incremental] ...
          new-collection NAME mongodb://[USER@]HOST[:PORT]/DATABASE [--collection NAME|GLOB]... [--incremental] ...   (password: never stored)
          new-collection NAME --pg-cluster HOST:PORT [--pg-user USER] [--incremental] ...     (a whole cluster: base backups + WAL)
          new-redis-collection NAME HOST:PORT [--mode snapshot|logical] [--database N]... [--pattern GLOB]... [--compression zstd|brotli|gzip|none]
          backup NAME [--incremental] [--throttle-limit N]
          list [NAME]
          restore ID DESTINATION [--force] [--table-prefix PREFIX] [--key-prefix PREFIX] [--collection-prefix PREFIX] [--throttle-limit N] [--numeric-owner] [--skip-xattrs]
            [--point-in-time ISO8601 | --target-lsn LSN | --end-of-archive]     (PostgreSQL cluster targets)
            (DESTINATION: a directory; for PostgreSQL targets a postgresql:// URI or a connection string; for Redis HOST:PORT; for MongoDB a database or mongodb:// URI)
          verify ID
          archive-wal --collection NAME [--passphrase-file FILE] WAL_PATH WAL_NAME    (archive_command: ... %p %f; also: archive-log)
            [--repository COPY]... [--copy-grace SECONDS] [--copy-timeout SECONDS]
            (each further --repository gets the file too: a DR copy; while the file is younger than --copy-grace (300)
             a failed copy exits 1 so PostgreSQL retries, later it is skipped with a warning; copy --archived-log-only fills it)
          copy NAME --to REPOSITORY [--id ID] [--all-archived-log | --archived-log-only]
          recovery-window [NAME]
          runs [NAME] [--failed] [--last N]        the run journal (Get-BackupRun)
          metrics [NAME]... [--path FILE.prom | --listen HOST:PORT]
            (Prometheus text: to stdout, to FILE atomically (node_exporter textfile collector), or served on /metrics)
          mongo-data generate|digest|drop mongodb://HOST:PORT/DATABASE [--collection NAME --documents N --size BYTES]   (test and benchmark data)
        The passphrase of encrypted collections comes from PSBACKUP_PASSPHRASE (or --passphrase-file).
        """;

    /// <summary>A directory, postgresql://[user@]host[:port]/database for PostgreSQL tables (--table …), or mongodb://… for MongoDB collections (--collection …).</summary>
    private static BackupTarget Target(string location, CliArguments args)
    {
        if (location.StartsWith("mongodb://", StringComparison.OrdinalIgnoreCase) || location.StartsWith("mongodb+srv://", StringComparison.OrdinalIgnoreCase))
            return MongoDbTargets.Create(location, null, args.Options("collection"), null, out _);
        if (!location.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            var tree = FileTreeTargets.Create(Path.GetFullPath(location), null, args.Options("include"), args.Options("exclude"));
            (tree.NoXattrs, tree.UseCtime) = (args.Flag("no-xattrs"), args.Flag("use-ctime"));
            return tree;
        }
        var uri = new Uri(location);
        return PgTargets.Create(uri.Host, uri.Port > 0 ? uri.Port : null, uri.AbsolutePath.Trim('/'), args.Options("table"),
            uri.UserInfo.Length > 0 ? uri.UserInfo.Split(':')[0] : null, null, null, null, out _);
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };
    private static readonly HashSet<string> Switches = ["incremental", "encrypt", "force", "end-of-archive", "no-xattrs", "use-ctime", "numeric-owner", "skip-xattrs",
        "all-archived-log", "archived-log-only", "failed"];

    public static async Task<int> RunAsync(string[] argv)
    {
        if (argv.Length == 0 || argv[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage);
            return argv.Length == 0 ? 2 : 0;
        }
        if (argv[0] is "version" or "--version")
        {
            Console.WriteLine(Version());
            return 0;
        }
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        try
        {
            var args = new CliArguments(argv.Skip(1), Switches);
            var engine = new BackupEngine();
            var repository = args.Option("repository");
            var ct = cancel.Token;
            switch (argv[0])
            {
                case "demo":
                    return await Demo.RunAsync(engine, repository, ct);
                case "new-collection":
                    BackupTarget target = args.Option("pg-cluster") is { } cluster
                        ? ClusterTargets.Create(cluster, null, null, args.Option("pg-user"))
                        : Target(args.Required(1, "PATH"), args);
                    Print(await engine.NewCollectionAsync(new NewCollectionRequest(args.Required(0, "NAME"), [target])
                    {
                        Repository = repository,
                        IncrementalBackupEnabled = args.Flag("incremental"),
                        Compression = Enum.Parse<CompressionKind>(args.Option("compression") ?? "zstd", ignoreCase: true),
                        Passphrase = args.Flag("encrypt") ? Environment.GetEnvironmentVariable(EngineOptions.PassphraseVariable) : null,
                    }, ct));
                    return 0;
                case "new-redis-collection":
                    var redis = RedisTargets.Create([args.Required(1, "HOST:PORT")], null, null, false,
                        args.Option("mode") is { } mode ? Enum.Parse<RedisBackupMode>(mode, ignoreCase: true) : null,
                        args.Options("database").Select(int.Parse).ToArray(), args.Options("pattern"));
                    Print(await engine.NewCollectionAsync(new NewCollectionRequest(args.Required(0, "NAME"), [redis])
                    {
                        Repository = repository,
                        Compression = Enum.Parse<CompressionKind>(args.Option("compression") ?? "zstd", ignoreCase: true),
                    }, ct));
                    return 0;
                case "backup":
                    var result = await engine.InvokeBackupAsync(new BackupRequest(args.Required(0, "NAME"))
                    {
                        Repository = repository,
                        Type = args.Flag("incremental") ? BackupType.Incremental : BackupType.Full,
                        ThrottleLimit = int.Parse(args.Option("throttle-limit") ?? BackupRequest.DefaultThrottleLimit.ToString()),
                    }, null, ct);
                    result.Warnings.ToList().ForEach(w => Console.Error.WriteLine($"warning: {w}"));
                    result.Failures.ToList().ForEach(f => Console.Error.WriteLine($"error: {f.Error.ErrorId}: {f.Error.Message}"));
                    Print(result.Backup);
                    return result.Failures.Count == 0 ? 0 : 1;
                case "list":
                    foreach (var backup in await engine.GetBackupsAsync(new BackupQuery { Repository = repository, Collection = args.Positional.FirstOrDefault() }, ct))
                        Print(backup);
                    return 0;
                case "restore":
                    var failed = false;
                    await foreach (var outcome in engine.RestoreAsync(new RestoreRequest(args.Required(0, "ID"))
                    {
                        Repository = repository,
                        Destination = args.Required(1, "DESTINATION"),
                        Force = args.Flag("force"),
                        ThrottleLimit = int.Parse(args.Option("throttle-limit") ?? BackupRequest.DefaultThrottleLimit.ToString()),
                        Recovery = RecoveryOf(args),
                        Options = KindOptions(args),
                    }, null, ct))
                    {
                        outcome.Warnings.ToList().ForEach(w => Console.Error.WriteLine($"warning: {outcome.Target}: {w}"));
                        if (outcome.Error != null) { Console.Error.WriteLine($"error: {outcome.Error.ErrorId}: {outcome.Error.Message}"); failed = true; }
                        else Print(outcome.Result!);
                    }
                    return failed ? 1 : 0;
                case "verify":
                    var ok = true;
                    await foreach (var finding in engine.TestBackupAsync(new VerifyRequest(args.Required(0, "ID")) { Repository = repository }, null, ct))
                    {
                        Print(finding);
                        ok &= finding.Status == VerificationStatus.Ok;
                    }
                    return ok ? 0 : 1;
                case "archive-wal" or "archive-log":
                    var repositories = args.Options("repository");
                    var archived = await engine.ArchiveLogAsync(new ArchiveLogRequest(
                        args.Option("collection") ?? throw new ArgumentException("Missing --collection."),
                        Path.GetFullPath(args.Required(0, "WAL_PATH")), args.Required(1, "WAL_NAME"))
                    {
                        Repository = repositories.FirstOrDefault(),
                        Copies = [.. repositories.Skip(1).Select(r => (RepositoryAddress)r)],
                        CopyGrace = TimeSpan.FromSeconds(double.Parse(args.Option("copy-grace") ?? "300", System.Globalization.CultureInfo.InvariantCulture)),
                        CopyTimeout = TimeSpan.FromSeconds(double.Parse(args.Option("copy-timeout") ?? "30", System.Globalization.CultureInfo.InvariantCulture)),
                        Passphrase = args.Option("passphrase-file") is { } file ? File.ReadAllText(file).TrimEnd('\r', '\n') : null,
                    }, ct);
                    if (!archived.Stored) Console.Error.WriteLine($"{args.Required(1, "WAL_NAME")} was already archived with identical content.");
                    foreach (var copy in archived.Copies.Where(c => c.Error != null))
                        Console.Error.WriteLine(copy.Status == ArchiveCopyStatus.RetryLater
                            ? $"error: copy to {copy.Repository} failed, PostgreSQL will retry: {copy.Error!.ErrorId}: {copy.Error.Message}"
                            : $"warning: copy to {copy.Repository} skipped (failing for longer than --copy-grace); catch up with 'copy --archived-log-only': {copy.Error!.ErrorId}: {copy.Error.Message}");
                    return archived.RetryLater ? 1 : 0;
                case "copy":
                    var copyFailed = false;
                    await foreach (var outcome in engine.CopyBackupAsync(new CopyRequest(args.Required(0, "NAME"), args.Option("to") ?? throw new ArgumentException("Missing --to."))
                    {
                        Source = repository,
                        Id = args.Option("id"),
                        AllArchivedLog = args.Flag("all-archived-log"),
                        ArchivedLogOnly = args.Flag("archived-log-only"),
                    }, null, ct))
                    {
                        if (outcome.Error != null) { Console.Error.WriteLine($"error: {outcome.Error.ErrorId}: {outcome.Error.Message}"); copyFailed = true; }
                        Print(outcome.Result);
                    }
                    return copyFailed ? 1 : 0;
                case "recovery-window":
                    foreach (var window in await engine.GetRecoveryWindowsAsync(new RecoveryWindowQuery { Repository = repository, Collection = args.Positional.FirstOrDefault() }, ct))
                        Print(window);
                    return 0;
                case "runs":
                    var runs = await engine.GetRunsAsync(new RunQuery
                    {
                        Repository = repository,
                        Collection = args.Positional.FirstOrDefault(),
                        Failed = args.Flag("failed"),
                        Last = args.Option("last") is { } last ? int.Parse(last, System.Globalization.CultureInfo.InvariantCulture) : null,
                    }, ct);
                    runs.Runs.ForEach(Print);
                    runs.Damaged.ForEach(e => Console.Error.WriteLine($"error: {e.ErrorId}: {e.Message}"));
                    return runs.Damaged.Count > 0 ? 1 : 0;
                case "metrics":
                    var metrics = new Engine.Metrics.MetricsRequest { Repository = repository, Collections = args.Positional };
                    if (args.Option("listen") is { } listen)
                        return await MetricsServer.RunAsync(engine, metrics, listen, ct);
                    var text = await engine.ExportMetricsAsync(metrics, null, ct);
                    if (args.Option("path") is { } path)
                        await Engine.Metrics.MetricsFile.WriteAsync(path, text, ct);
                    else
                        Console.Write(text);
                    return 0;
                case "mongo-data":
                    return await MongoData.RunAsync(args, ct);
                default:
                    Console.Error.WriteLine($"Unknown command '{argv[0]}'.\n{Usage}");
                    return 2;
            }
        }
        catch (PsBackupException e)
        {
            Console.Error.WriteLine($"error: {e.ErrorId}: {e.Message}");
            return 1;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
        {
            // Bad arguments (an unknown enum value, a number that is not one): usage, no stack trace.
            Console.Error.WriteLine($"{SecretMasker.Hide(e.Message)}\n{Usage}");
            return 2;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled");
            return 130;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: IOError: {SecretMasker.Hide(e.Message)}");
            return 1;
        }
    }

    private static List<object> KindOptions(CliArguments args)
    {
        var options = new List<object>();
        if (args.Option("table-prefix") is { } tablePrefix) options.Add(new PgTableRestoreOptions { TablePrefix = tablePrefix });
        if (args.Flag("numeric-owner") || args.Flag("skip-xattrs"))
            options.Add(new FileRestoreOptions { NumericOwner = args.Flag("numeric-owner"), SkipXattrs = args.Flag("skip-xattrs") });
        if (args.Option("key-prefix") is { } keyPrefix) options.Add(new RedisRestoreOptions { KeyPrefix = keyPrefix });
        if (args.Option("collection-prefix") is { } collectionPrefix) options.Add(new MongoDbRestoreOptions { CollectionPrefix = collectionPrefix });
        return options;
    }

    private static RecoveryTarget? RecoveryOf(CliArguments args) =>
        args.Option("point-in-time") is { } time ? new() { Time = DateTimeOffset.Parse(time, System.Globalization.CultureInfo.InvariantCulture) }
        : args.Option("target-lsn") is { } lsn ? new() { Position = lsn }
        : args.Flag("end-of-archive") ? new() { EndOfArchive = true }
        : null;

    /// <summary>The SemVer version the build stamped (PsBackup.psd1's ModuleVersion), without the source revision.</summary>
    private static string Version() =>
        (typeof(BackupEngine).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "0.0.0").Split('+')[0];

    internal static void Print(object value) => Console.WriteLine(JsonSerializer.Serialize(value, value.GetType(), JsonOptions));
}
