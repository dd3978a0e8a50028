using PsBackup.Engine.Storage.S3;
using PsBackup.Engine.Tests.Peers;

namespace PsBackup.Engine.Tests.Support;

/// <summary>A fresh bucket on the S3-compatible test server, and the engine's view of it.</summary>
public static class S3Repository
{
    static S3Repository()
    {
        // The engine reads S3 settings from the environment (credentials through the AWS chain);
        // the same values for every test, so setting them process-wide is safe.
        Environment.SetEnvironmentVariable(S3StoreOptions.EndpointVariable, TestPeers.S3Endpoint);
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", TestPeers.S3AccessKey);
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", TestPeers.S3SecretKey);
    }

    /// <summary>Creates a bucket and returns "s3://bucket/prefix".</summary>
    public static async Task<string> NewAsync(string prefix = "repo")
    {
        var uri = new Uri(TestPeers.S3Endpoint);
        TestPeers.RequireReachable("S3 (s3rver)", uri.Host, uri.Port);
        var bucket = "t-" + Guid.NewGuid().ToString("N")[..16];
        using var client = TestPeers.CreateS3Client();
        await client.PutBucketAsync(bucket);
        return $"s3://{bucket}/{prefix}";
    }

    public static S3StoreOptions Options(int partSize = 8 << 20) => S3StoreOptions.FromEnvironment() with
    {
        AccessKey = TestPeers.S3AccessKey,
        SecretKey = TestPeers.S3SecretKey,
        PartSize = partSize,
    };
}
