using PsBackup.Engine.Storage.S3;

namespace PsBackup.Engine.Tests.Units;

/// <summary>S3 settings typed by the user override the environment's, one by one; none typed leaves the environment in charge.</summary>
public sealed class RepositoryAddressTests
{
    [Fact]
    public void Typed_settings_override_the_environment_and_absent_ones_defer_to_it()
    {
        var environment = S3StoreOptions.FromEnvironment();

        var plain = RepositoryAddress.Create("s3://bucket/p", null, null, null, null);
        Assert.Null(plain.S3); // resolved from the environment when the store opens

        var region = RepositoryAddress.Create("s3://bucket/p", null, "eu-west-1", null, null);
        Assert.Equal("eu-west-1", region.S3!.Region);
        Assert.Equal(environment.Endpoint, region.S3.Endpoint);
        Assert.Null(region.S3.AccessKey); // the AWS credential chain still applies

        var full = RepositoryAddress.Create("s3://bucket/p", "http://minio:9000", null, "AKIA", "secret");
        Assert.Equal(("http://minio:9000", environment.Region, "AKIA", "secret"), (full.S3!.Endpoint, full.S3.Region, full.S3.AccessKey, full.S3.SecretKey));
        Assert.Equal("s3://bucket/p", full.Location);
    }
}
