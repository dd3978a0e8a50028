using System.Net;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Providers.PostgreSql;

namespace PsBackup.Engine.Tests.Units;

/// <summary>How PostgreSQL targets and restore destinations are read from what the user types.</summary>
public sealed class PgTargetParsingTests
{
    private static readonly PostgreSqlTarget Source = new() { Name = "shop", Host = "db1", Port = 5433, Database = "shop", UserName = "backup" };

    [Fact]
    public void ADestinationIsADatabaseNameAUriOrAConnectionString()
    {
        var byName = PgDestination.Resolve(Source, "shop_drill", null);
        Assert.Equal(("db1", 5433, "shop_drill", "backup"), (byName.Host, byName.Port, byName.Database, byName.Username));

        var byUri = PgDestination.Resolve(Source, "postgresql://restorer:p%40ss@db-dr:6432/shop_copy", null);
        Assert.Equal(("db-dr", 6432, "shop_copy", "restorer", "p@ss"), (byUri.Host, byUri.Port, byUri.Database, byUri.Username, byUri.Password));

        var byString = PgDestination.Resolve(Source, "Host=db-dr;Database=other;Password=x", new NetworkCredential("admin", "given"));
        Assert.Equal(("db-dr", "other", "admin", "given"), (byString.Host, byString.Database, byString.Username, byString.Password));

        var original = PgDestination.Resolve(Source, null, null);
        Assert.Equal(("db1", 5433, "shop"), (original.Host, original.Port, original.Database));
    }

    [Fact]
    public void ABadDestinationIsNamedWithoutItsPassword()
    {
        var error = Assert.Throws<InvalidBackupRequestException>(() => PgDestination.Resolve(Source, "mysql://u:topsecret@h/db", null));
        Assert.Equal("InvalidDestination", error.ErrorId);
        Assert.DoesNotContain("topsecret", error.Message);
    }

    [Fact]
    public void AConnectionStringGivesTheTargetButNotThePassword()
    {
        var target = Providers.PostgreSql.PgTargets.Create(null, null, null, ["public.*", " orders "], null, null,
            "Host=db9;Port=7000;Database=crm;Username=bk;Password=hunter2", null, out var dropped);
        Assert.True(dropped);
        Assert.Equal(("db9", 7000, "crm", "bk", "crm"), (target.Host, target.Port, target.Database, target.UserName, target.Name));
        Assert.Equal(["public.*", "orders"], target.Tables);
        Assert.DoesNotContain("hunter2", Newtonsoft.Json.JsonConvert.SerializeObject(target));

        Assert.Equal("DatabaseRequired", Assert.Throws<InvalidBackupRequestException>(() =>
            Providers.PostgreSql.PgTargets.Create("h", null, null, null, null, null, null, null, out _)).ErrorId);
        Assert.Equal("InvalidTableName", Assert.Throws<InvalidBackupRequestException>(() =>
            Providers.PostgreSql.PgTargets.Create("h", null, "d", ["a.b.c"], null, null, null, null, out _)).ErrorId);
        Assert.Equal("InvalidSslMode", Assert.Throws<InvalidBackupRequestException>(() =>
            Providers.PostgreSql.PgTargets.Create("h", null, "d", null, null, "Sometimes", null, null, out _)).ErrorId);
    }
}
