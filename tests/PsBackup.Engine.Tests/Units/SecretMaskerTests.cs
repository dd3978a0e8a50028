namespace PsBackup.Engine.Tests.Units;

public sealed class SecretMaskerTests
{
    [Theory]
    [InlineData("postgresql://bk:s3cr3t@db1:5432/shop", "postgresql://bk:***@db1:5432/shop")]
    [InlineData("Restore backup to 'postgres://bk:s3cr3t@db1/shop'", "Restore backup to 'postgres://bk:***@db1/shop'")]
    [InlineData("postgresql://bk:p@ss/w0rd@db1/shop", "postgresql://bk:***@db1/shop")]
    [InlineData("redis://:s3cr3t@127.0.0.1:6379", "redis://:***@127.0.0.1:6379")]
    [InlineData("rediss://default:s3cr3t@cache:6380/0", "rediss://default:***@cache:6380/0")]
    [InlineData("mongodb+srv://app:s3cr3t@cluster0.example.net/db?retryWrites=true", "mongodb+srv://app:***@cluster0.example.net/db?retryWrites=true")]
    [InlineData("Host=db1;Port=5432;Username=bk;Password=s3cr3t;Database=shop", "Host=db1;Port=5432;Username=bk;Password=***;Database=shop")]
    [InlineData("host=db1;PWD = s3cr3t ;database=shop", "host=db1;PWD = *** ;database=shop")]
    [InlineData("Server=x;Password='s3;cr3t';Database=y", "Server=x;Password=***;Database=y")]
    [InlineData("Server=x;Password=\"s3cr3t\"", "Server=x;Password=***")]
    [InlineData("postgresql://db1/shop?user=bk&password=s3cr3t&sslmode=require", "postgresql://db1/shop?user=bk&password=***&sslmode=require")]
    [InlineData("/srv/data/Host=db1;Password=s3cr3t", "/srv/data/Host=db1;Password=***")]
    public void Credentials_are_masked(string text, string expected)
    {
        var masked = SecretMasker.Hide(text);
        Assert.Equal(expected, masked);
        Assert.DoesNotContain("s3cr3t", masked);
        Assert.DoesNotContain("w0rd", masked);
    }

    [Theory]
    [InlineData("postgresql://bk@db1:5432/shop")]
    [InlineData("s3://bucket/prefix/repo")]
    [InlineData("/srv/backups/bypass=1")]
    [InlineData("Restore backup to '/tmp/restore'")]
    [InlineData("127.0.0.1:6379")]
    public void Text_without_credentials_is_unchanged(string text) => Assert.Equal(text, SecretMasker.Hide(text));
}
