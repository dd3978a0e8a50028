using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using Npgsql;
using StackExchange.Redis;

namespace PsBackup.Engine.Tests.Peers;

/// <summary>
/// Where the real test servers started by tests/peers/start.sh listen. Reads the same
/// environment variables, with the same defaults, as tests/peers/env.sh. A peer that cannot be
/// reached fails the test (never skips it) with a message naming tests/peers/start.sh.
/// </summary>
public static class TestPeers
{
    public const string StartHint = "start it with tests/peers/start.sh (after tests/peers/install.sh)";

    public static string PeersDir => Env("PSBACKUP_PEERS_DIR", "/tmp/psbackup-peers");

    // --- PostgreSQL 15: primary (wal_level=logical) and its streaming replica; trust auth.
    public static string PgHost => Env("PSBACKUP_TEST_PG_HOST", "127.0.0.1");
    public static int PgPort => int.Parse(Env("PSBACKUP_TEST_PG_PORT", "15432"));
    public static int PgReplicaPort => int.Parse(Env("PSBACKUP_TEST_PG_REPLICA_PORT", "15433"));
    public static string PgUser => Env("PSBACKUP_TEST_PG_USER", "postgres");
    /// <summary>Directory of pg_dump, pg_basebackup, pg_verifybackup, pg_waldump, ...</summary>
    public static string PgBin => Env("PSBACKUP_TEST_PG_BIN", "/usr/lib/postgresql/15/bin");
    /// <summary>The primary's data directory (owned by the postgres user when run as root).</summary>
    public static string PgData => Env("PSBACKUP_TEST_PG_DATA", Path.Combine(PeersDir, "pg-primary"));

    public static string PgPrimaryConnectionString(string database = "postgres") => PgConnectionString(PgPort, database);
    public static string PgReplicaConnectionString(string database = "postgres") => PgConnectionString(PgReplicaPort, database);

    public static string PgConnectionString(int port, string database = "postgres") =>
        new NpgsqlConnectionStringBuilder
        {
            Host = PgHost,
            Port = port,
            Username = PgUser,
            Database = database,
            Timeout = 15,
        }.ConnectionString;

    /// <summary>Opens a connection to the primary, failing clearly when it is not running.</summary>
    public static Task<NpgsqlConnection> OpenPrimaryAsync(string database = "postgres") =>
        OpenPgAsync("PostgreSQL primary", PgPort, database);

    /// <summary>Opens a connection to the streaming replica, failing clearly when it is not running.</summary>
    public static Task<NpgsqlConnection> OpenReplicaAsync(string database = "postgres") =>
        OpenPgAsync("PostgreSQL replica", PgReplicaPort, database);

    private static async Task<NpgsqlConnection> OpenPgAsync(string name, int port, string database)
    {
        RequireReachable(name, PgHost, port);
        var conn = new NpgsqlConnection(PgConnectionString(port, database));
        try
        {
            await conn.OpenAsync();
            return conn;
        }
        catch (Exception ex)
        {
            await conn.DisposeAsync();
            throw Unavailable(name, $"{PgHost}:{port}", ex);
        }
    }

    // --- Redis 7: two independent servers (e.g. source and REPLICAOF target).
    public static string Redis => Env("PSBACKUP_TEST_REDIS", "127.0.0.1:16379");
    public static string Redis2 => Env("PSBACKUP_TEST_REDIS2", "127.0.0.1:16380");

    /// <summary>ConnectionMultiplexer configuration for an endpoint "host:port" (admin commands allowed).</summary>
    public static string RedisConfiguration(string endpoint) =>
        $"{endpoint},allowAdmin=true,connectTimeout=5000,syncTimeout=10000";

    public static ConnectionMultiplexer ConnectRedis(string? endpoint = null)
    {
        endpoint ??= Redis;
        var (host, port) = SplitHostPort(endpoint);
        RequireReachable($"Redis {endpoint}", host, port);
        try
        {
            return ConnectionMultiplexer.Connect(RedisConfiguration(endpoint));
        }
        catch (Exception ex)
        {
            throw Unavailable("Redis", endpoint, ex);
        }
    }

    // --- S3: s3rver (see tests/peers/README.md for its differences from S3).
    public static string S3Endpoint => Env("PSBACKUP_TEST_S3_ENDPOINT", "http://127.0.0.1:14569");

    /// <summary>s3rver knows only this access key id (any other: 403 InvalidAccessKeyId); its
    /// signatures are not checked (started with --allow-mismatched-signatures), so any secret works.</summary>
    public const string S3AccessKey = "S3RVER";
    public const string S3SecretKey = "S3RVER";

    public static AmazonS3Config S3Config() => new()
    {
        ServiceURL = S3Endpoint,
        ForcePathStyle = true,
        AuthenticationRegion = "us-east-1",
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    };

    public static AmazonS3Client CreateS3Client()
    {
        var uri = new Uri(S3Endpoint);
        RequireReachable("S3 (s3rver)", uri.Host, uri.Port);
        return new AmazonS3Client(new BasicAWSCredentials(S3AccessKey, S3SecretKey), S3Config());
    }

    // --- MongoDB wire protocol: congodb (in-memory; no replica set, oplog or change streams).
    public static string MongoUri => Env("PSBACKUP_TEST_MONGO", "mongodb://127.0.0.1:17017");

    public static (string Host, int Port) MongoEndpoint
    {
        get
        {
            var uri = new Uri(MongoUri);
            return (uri.Host, uri.Port > 0 ? uri.Port : 27017);
        }
    }

    public static MongoWireClient ConnectMongo()
    {
        var (host, port) = MongoEndpoint;
        RequireReachable("MongoDB (congodb)", host, port);
        return MongoWireClient.Connect(host, port);
    }

    // --- helpers

    /// <summary>Throws a clear "start it with tests/peers/start.sh" error when nothing answers on host:port.</summary>
    public static void RequireReachable(string name, string host, int port)
    {
        // A synchronous connect: waiting on ConnectAsync from a busy thread pool (many tests at once)
        // can time out although the server answered at once.
        using var client = new TcpClient { SendTimeout = 15000, ReceiveTimeout = 15000 };
        try
        {
            client.Connect(host, port);
        }
        catch (Exception ex)
        {
            throw Unavailable(name, $"{host}:{port}", ex is AggregateException { InnerException: { } inner } ? inner : ex);
        }
    }

    private static Exception Unavailable(string name, string where, Exception ex) =>
        new InvalidOperationException($"Test peer {name} at {where} is not reachable ({ex.Message}); {StartHint}.", ex);

    private static (string Host, int Port) SplitHostPort(string endpoint)
    {
        var i = endpoint.LastIndexOf(':');
        return (endpoint[..i], int.Parse(endpoint[(i + 1)..]));
    }

    private static string Env(string name, string fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : fallback;
}
