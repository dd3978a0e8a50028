using System.Net;
using System.Net.Sockets;
using MongoDB.Bson;
using MongoDB.Driver;
using MongoDB.Driver.Core.Clusters;
using MongoDB.Driver.Core.Connections;
using MongoDB.Driver.Core.Servers;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Providers.MongoDb;
using PsBackup.Engine.Tests.Peers;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.MongoDb;

/// <summary>Bad input and failing servers give clear errors with PsBackup ErrorIds; nothing is written and no secret is shown or stored.</summary>
public sealed class MongoDbErrorTests : IDisposable
{
    private readonly EngineFixture _fx = new();

    [Theory]
    [InlineData("http://db1/shop", "InvalidMongoConnectionString")]
    [InlineData("mongodb://backup:s3cret@db1:99999/shop", "InvalidMongoConnectionString")]
    [InlineData("mongodb://db1:27017/", "MongoDatabaseRequired")]
    [InlineData("mongodb://db1:27017/sh.op", "InvalidMongoDatabase")]
    public void BadConnectionStringsAreRefusedWithoutShowingThePassword(string uri, string errorId)
    {
        var error = Assert.Throws<InvalidBackupRequestException>(() => MongoDbTargets.Create(uri, null, null, null, out _));
        Assert.Equal(errorId, error.ErrorId);
        Assert.DoesNotContain("s3cret", error.Message);
    }

    [Theory]
    [InlineData("$cmd")]
    [InlineData("system.users")]
    [InlineData(".hidden")]
    public void BadCollectionNamesAreRefused(string collection)
    {
        var error = Assert.Throws<InvalidBackupRequestException>(() => MongoDbTargets.Create("mongodb://db1/shop", null, [collection, "ok"], null, out _));
        Assert.Equal("InvalidMongoCollection", error.ErrorId);
    }

    [Fact]
    public async Task PasswordsAreDroppedFromTheTargetAndNeverStored()
    {
        var target = MongoDbTargets.Create("mongodb://backup:s3cret@db1:27017,db2/shop?replicaSet=rs0&tlsCertificateKeyFilePassword=pem-s3cret&authSource=admin",
            null, ["orders", "users*"], null, out var dropped);
        Assert.True(dropped);
        Assert.Equal("mongodb://backup@db1:27017,db2/shop?replicaSet=rs0&authSource=admin", target.ConnectionString);
        Assert.Equal(("shop", "db1:27017,db2/shop"), (target.Name, target.Location));
        MongoDbTargets.Create("mongodb://db1/shop", "other", null, "n", out dropped);
        Assert.False(dropped);

        await _fx.NewCollectionAsync("safe", targets: target);
        var definition = await File.ReadAllTextAsync(Path.Combine(_fx.Repository, "collections", "safe", "collection.json"));
        Assert.DoesNotContain("s3cret", definition);
        Assert.Contains("\"kind\": \"mongoDb\"", definition); // stored camelCase, as every kind

        // A target built by hand with a password never reaches the repository.
        var handMade = new MongoDbTarget { Name = "bad", ConnectionString = "mongodb://backup:s3cret@db1/shop", Database = "shop" };
        var error = await Assert.ThrowsAsync<InvalidBackupRequestException>(() => _fx.NewCollectionAsync("unsafe", targets: handMade));
        Assert.Equal("SecretInTarget", error.ErrorId);
        Assert.DoesNotContain("s3cret", error.Message);
        Assert.False(Directory.Exists(Path.Combine(_fx.Repository, "collections", "unsafe")));
    }

    [Fact]
    public async Task AnUnreachableServerIsTargetUnavailable()
    {
        var port = FreePort();
        var target = new MongoDbTarget { Name = "gone", ConnectionString = $"mongodb://127.0.0.1:{port}/?serverSelectionTimeoutMS=2000", Database = "shop" };
        await _fx.NewCollectionAsync("gone", targets: target);
        var error = await Assert.ThrowsAsync<TargetUnavailableException>(() => _fx.BackupAsync("gone"));
        Assert.Contains($"MongoDB 127.0.0.1:{port} is unreachable", error.Message);
        Assert.Contains("refused", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", error.Message); // no stack trace
        Assert.Empty(await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository }));
    }

    [Fact]
    public async Task AnUnknownDatabaseOrCollectionFailsTheTarget()
    {
        await using var db = MongoTestDatabase.Create("unknown");
        await db.InsertAsync("orders", [MongoDocuments.Small(1)]);
        await _fx.NewCollectionAsync("nodb", targets: new MongoDbTarget { Name = "m", ConnectionString = TestPeers.MongoUri, Database = db.Name + "_missing" });
        var error = await Assert.ThrowsAsync<PsBackupException>(() => _fx.BackupAsync("nodb"));
        Assert.Equal("MongoDatabaseNotFound", error.ErrorId);
        Assert.Contains(db.Name + "_missing", error.Message);

        await _fx.NewCollectionAsync("nocoll", targets: db.Target("m", "orders", "invoices"));
        error = await Assert.ThrowsAsync<PsBackupException>(() => _fx.BackupAsync("nocoll"));
        Assert.Equal("MongoCollectionNotFound", error.ErrorId);
        Assert.Contains("'invoices'", error.Message);
        Assert.Empty(await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository }));
    }

    [Fact]
    public async Task RestoreOverCollectionsWithDocumentsIsRefusedBeforeAnythingIsWrittenUnlessForce()
    {
        await using var db = MongoTestDatabase.Create("overwrite");
        await db.InsertAsync("a", Enumerable.Range(0, 100).Select(MongoDocuments.Small));
        await db.InsertAsync("b", Enumerable.Range(0, 100).Select(MongoDocuments.Small));
        await _fx.NewCollectionAsync("mongo", targets: db.Target());
        var backup = await _fx.BackupAsync("mongo");

        // The destination holds its own "b" (with documents) and no "a".
        var destination = db.Other("dst");
        await db.Client.GetDatabase(destination).GetCollection<BsonDocument>("b").InsertOneAsync(new BsonDocument { { "_id", ObjectId.GenerateNewId() }, { "mine", true } });
        var before = await db.RawDocumentsAsync("b", destination);

        var refused = Assert.Single(await _fx.RestoreAsync(backup.Id, destination));
        Assert.Equal("RestoreWouldOverwrite", refused.Error!.ErrorId);
        Assert.Contains("(b)", refused.Error.Message);
        Assert.Equal(["b"], await db.CollectionNamesAsync(destination)); // "a" was not written either
        Assert.Equal(before, await db.RawDocumentsAsync("b", destination));

        Assert.Null(Assert.Single(await _fx.RestoreAsync(backup.Id, destination, force: true)).Error);
        await db.AssertSameDocumentsAsync("a", "a", destination);
        await db.AssertSameDocumentsAsync("b", "b", destination); // replaced: "mine" is gone

        // An existing empty collection is no conflict.
        var empty = db.Other("empty");
        await db.Client.GetDatabase(empty).CreateCollectionAsync("a");
        Assert.Null(Assert.Single(await _fx.RestoreAsync(backup.Id, empty)).Error);
        await db.AssertSameDocumentsAsync("a", "a", empty);
    }

    [Fact]
    public async Task ADamagedArtifactFailsTheRestoreAndLeavesNoCollectionBehind()
    {
        await using var db = MongoTestDatabase.Create("damaged");
        await db.InsertAsync("a", Enumerable.Range(0, 2000).Select(MongoDocuments.Small));
        await _fx.NewCollectionAsync("mongo", compression: CompressionKind.None, targets: db.Target());
        var backup = await _fx.BackupAsync("mongo");
        var artifact = Path.Combine(_fx.Repository, "collections", "mongo", "backups", backup.Id, "mongo", "a.bson");
        var bytes = await File.ReadAllBytesAsync(artifact);
        bytes[^100] ^= 0x20; // inside a string of the last document: still BSON, different bytes
        await File.WriteAllBytesAsync(artifact, bytes);

        var destination = db.Other("dst");
        var failed = Assert.Single(await _fx.RestoreAsync(backup.Id, destination));
        Assert.Equal("ArtifactCorrupt", failed.Error!.ErrorId);
        Assert.Empty(await db.CollectionNamesAsync(destination));
    }

    [Fact]
    public async Task AUserWithoutAPasswordIsARefusedLoginBeforeAnythingIsSent()
    {
        await using var db = MongoTestDatabase.Create("nopass");
        var target = db.Target();
        target.ConnectionString = TestPeers.MongoUri.Replace("mongodb://", "mongodb://backup@");
        await _fx.NewCollectionAsync("nopass", targets: target);
        var error = await Assert.ThrowsAsync<TargetAuthenticationException>(() => _fx.BackupAsync("nopass"));
        Assert.Contains("-Credential", error.Message);
    }

    /// <summary>
    /// congodb implements no authentication (every SASL reply is an empty "done"), so no password
    /// is right or wrong there: a login it cannot complete is a clear TargetUnavailable, and the
    /// driver's authentication failure — what MongoDB answers to a wrong password — is checked here
    /// by building it as the driver does.
    /// </summary>
    [Fact]
    public async Task ARefusedLoginIsTargetAuthenticationFailed()
    {
        var endpoint = new DnsEndPoint("db1", 27017);
        var connection = new ConnectionId(new ServerId(new ClusterId(1), endpoint));
        var refused = new MongoConnectionException(connection, "An exception occurred while opening a connection to the server.",
            new MongoAuthenticationException(connection, "Unable to authenticate using sasl protocol mechanism SCRAM-SHA-256.",
                new MongoCommandException(connection, "Command saslContinue failed: Authentication failed.", new BsonDocument("saslContinue", 1))));
        var translated = MongoDbConnections.Translate(refused, null, "mongodb://backup@db1:27017/shop");
        Assert.Equal("TargetAuthenticationFailed", Assert.IsType<TargetAuthenticationException>(translated).ErrorId);
        Assert.Contains("MongoDB db1:27017 refused the login", translated.Message);

        await using var db = MongoTestDatabase.Create("login");
        await db.InsertAsync("a", [MongoDocuments.Small(1)]);
        await _fx.NewCollectionAsync("login", targets: db.Target());
        var result = await _fx.Engine.InvokeBackupAsync(new BackupRequest("login")
        {
            Repository = _fx.Repository,
            Credentials = new Providers.TargetCredentials { Default = new NetworkCredential("backup", "any-password") },
        }).ContinueWith(t => t.Exception?.InnerException as PsBackupException);
        Assert.Equal("TargetUnavailable", result!.ErrorId);
        Assert.DoesNotContain("any-password", result.Message);
    }

    [Theory]
    [InlineData("mongodb://backup@db1/shop", "ops", null, "shop")]
    [InlineData("mongodb://backup@db1/shop?authSource=admin&authMechanism=SCRAM-SHA-256", "", "SCRAM-SHA-256", "admin")]
    [InlineData("mongodb://db1/", "ops", null, "admin")]
    public void TheCredentialReplacesTheUriLoginAndKeepsItsMechanismAndSource(string uri, string user, string? mechanism, string source)
    {
        using var client = MongoDbConnections.Open(uri, new NetworkCredential(user, "pw"));
        var credential = client.Settings.Credential;
        Assert.Equal((user.Length > 0 ? user : "backup", mechanism, source), (credential.Username, credential.Mechanism, credential.Source));
        Assert.Equal(ReadPreference.SecondaryPreferred, client.Settings.ReadPreference);
        Assert.Equal(TimeSpan.FromSeconds(10), client.Settings.ServerSelectionTimeout);

        using var primary = MongoDbConnections.Open("mongodb://backup:pw@db1/shop?readPreference=primary&serverSelectionTimeoutMS=500", null);
        Assert.Equal((ReadPreference.Primary, TimeSpan.FromMilliseconds(500), "backup"),
            (primary.Settings.ReadPreference, primary.Settings.ServerSelectionTimeout, primary.Settings.Credential.Username));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose() => _fx.Dispose();
}
