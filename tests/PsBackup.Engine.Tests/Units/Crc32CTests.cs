using System.Text;
using PsBackup.Engine.Providers.PostgreSql.Cluster;

namespace PsBackup.Engine.Tests.Units;

/// <summary>
/// The base backup's manifest check compares CRC-32C values with PostgreSQL's: the standard check
/// value, the manifest's byte order, and independence from how the tar stream is cut into reads.
/// (The cluster tests check it against real pg_basebackup manifests.)
/// </summary>
public sealed class Crc32CTests
{
    [Fact]
    public void StandardCheckValueInManifestByteOrder()
    {
        var crc = new Crc32C();
        crc.Append(Encoding.ASCII.GetBytes("123456789"));
        Assert.Equal(0xE3069283u, crc.Value);
        Assert.Equal("839206e3", crc.ToManifestHex());
        Assert.Equal("00000000", new Crc32C().ToManifestHex());
    }

    [Fact]
    public void SameValueHoweverTheStreamIsCut()
    {
        var data = new byte[100_003];
        new Random(7).NextBytes(data);
        var whole = new Crc32C();
        whole.Append(data);
        var random = new Random(11);
        for (var round = 0; round < 20; round++)
        {
            var pieces = new Crc32C();
            for (var at = 0; at < data.Length;)
            {
                var n = Math.Min(random.Next(0, 30), data.Length - at);
                pieces.Append(data.AsSpan(at, n));
                at += n;
            }
            Assert.Equal(whole.Value, pieces.Value);
        }
        Assert.NotEqual(0u, whole.Value);
    }
}
