using System.Diagnostics;
using Amazon.S3.Model;
using Newtonsoft.Json.Linq;
using Npgsql;
using Xunit;

namespace PsBackup.Engine.Tests.Peers;

/// <summary>One round trip per test peer: proves the servers of tests/peers/start.sh really work.</summary>
public class PeerSmokeTests
{
    private static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..16];

    [Fact]
    public async Task PostgresPrimary_AnswersAndHasLogicalWal()
    {
        await using var conn = await TestPeers.OpenPrimaryAsync();
        Assert.Equal(1, await Scalar<int>(conn, "SELECT 1"));
        Assert.Equal("logical", await Scalar<string>(conn, "SHOW wal_level"));
        Assert.False(await Scalar<bool>(conn, "SELECT pg_is_in_recovery()"));
    }

    [Fact]
    public async Task PostgresReplica_IsInRecoveryAndStreamsFromPrimary()
    {
        await using var primary = await TestPeers.OpenPrimaryAsync();
        await using var replica = await TestPeers.OpenReplicaAsync();
        Assert.True(await Scalar<bool>(replica, "SELECT pg_is_in_recovery()"));

        var table = Unique("peer_smoke_");
        var marker = Guid.NewGuid().ToString();
        await Execute(primary, $"CREATE TABLE {table} (v text)");
        try
        {
            await Execute(primary, $"INSERT INTO {table} VALUES ('{marker}')");
            var sw = Stopwatch.StartNew();
            string? seen = null;
            while (sw.Elapsed < TimeSpan.FromSeconds(10))
            {
                // The table itself may not have arrived yet: look it up without failing.
                var exists = await Scalar<bool>(replica, $"SELECT to_regclass('{table}') IS NOT NULL");
                if (exists && (seen = await Scalar<string?>(replica, $"SELECT max(v) FROM {table}")) == marker) break;
                await Task.Delay(100);
            }
            Assert.True(seen == marker, $"the replica did not show the primary's row within 10 s (saw '{seen}')");
        }
        finally
        {
            await Execute(primary, $"DROP TABLE IF EXISTS {table}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Redis_PingAndSetGet(int which)
    {
        var endpoint = which == 1 ? TestPeers.Redis : TestPeers.Redis2;
        using var redis = TestPeers.ConnectRedis(endpoint);
        var db = redis.GetDatabase();
        Assert.True(db.Ping() >= TimeSpan.Zero);
        Assert.Equal("PONG", (string?)db.Execute("PING"));

        var key = Unique("psbackup:smoke:");
        var value = Guid.NewGuid().ToString();
        Assert.True(db.StringSet(key, value, TimeSpan.FromMinutes(1)));
        Assert.Equal(value, (string?)db.StringGet(key));
        db.KeyDelete(key);
    }

    [Fact]
    public async Task S3_BucketPutGetListCopy()
    {
        using var s3 = TestPeers.CreateS3Client();
        var bucket = Unique("psbackup-smoke-");
        const string key = "dir/hello world.txt", copyKey = "copy/hello world+1.txt";
        var body = "hello " + Guid.NewGuid();

        await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket });
        try
        {
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = body });

            using (var get = await s3.GetObjectAsync(bucket, key))
            using (var reader = new StreamReader(get.ResponseStream))
                Assert.Equal(body, await reader.ReadToEndAsync());

            var list = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = "dir/" });
            var obj = Assert.Single(list.S3Objects);
            Assert.Equal(key, obj.Key);
            Assert.Equal(body.Length, obj.Size);

            // CopyObject with "/" and " " in the source key (needs install.sh's s3rver patch).
            await s3.CopyObjectAsync(bucket, key, bucket, copyKey);
            using (var copy = await s3.GetObjectAsync(bucket, copyKey))
            using (var reader = new StreamReader(copy.ResponseStream))
                Assert.Equal(body, await reader.ReadToEndAsync());
        }
        finally
        {
            await s3.DeleteObjectAsync(bucket, copyKey);
            await s3.DeleteObjectAsync(bucket, key);
            await s3.DeleteBucketAsync(bucket);
        }
    }

    [Fact]
    public void Mongo_HelloInsertFind()
    {
        using var mongo = TestPeers.ConnectMongo();
        var hello = mongo.RunCommand("admin", new JObject { ["hello"] = 1 });
        Assert.True(hello.Value<bool>("isWritablePrimary"), hello.ToString());
        Assert.True(hello.Value<int>("maxWireVersion") >= 6, hello.ToString());

        const string db = "psbackup_smoke";
        var collection = Unique("smoke_");
        var tag = Guid.NewGuid().ToString();
        // No _id: congodb only accepts ObjectId _ids (a string _id fails with code 11000), and
        // generates one, as mongod does.
        var insert = mongo.RunCommand(db, new JObject
        {
            ["insert"] = collection,
            ["documents"] = new JArray(new JObject { ["tag"] = tag, ["name"] = "peer", ["n"] = 42 }),
        });
        Assert.True(insert.Value<int>("n") == 1, insert.ToString());

        var find = mongo.RunCommand(db, new JObject { ["find"] = collection, ["filter"] = new JObject { ["tag"] = tag } });
        var doc = (JObject)Assert.Single((JArray)find["cursor"]!["firstBatch"]!);
        Assert.Equal("peer", doc.Value<string>("name"));
        Assert.Equal(42, doc.Value<int>("n"));
        Assert.NotNull(doc["_id"]);

        mongo.RunCommand(db, new JObject { ["drop"] = collection });
    }

    private static async Task<T> Scalar<T>(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        var result = await cmd.ExecuteScalarAsync();
        return result is DBNull or null ? default! : (T)result;
    }

    private static async Task Execute(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }
}
