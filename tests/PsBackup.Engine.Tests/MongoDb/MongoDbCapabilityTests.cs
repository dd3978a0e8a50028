using MongoDB.Bson;
using MongoDB.Driver;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Providers;
using PsBackup.Engine.Providers.Capabilities;
using PsBackup.Engine.Providers.MongoDb;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.MongoDb;

/// <summary>
/// What MongoDB offers besides backup and restore: Get-BackupTargetStatus (reachability and
/// replication), the replication capability, and restore drills (a scratch database, checks, cleanup).
/// </summary>
public sealed class MongoDbCapabilityTests : IDisposable
{
    private readonly EngineFixture _fx = new();
    private static readonly MongoDbProvider Kind = (MongoDbProvider)EngineKinds.Find("MongoDb");

    [Fact]
    public async Task TargetStatusShowsReachabilityAndRoleForEveryTarget()
    {
        await using var db = MongoTestDatabase.Create("status");
        var tree = _fx.Temp.Combine("tree");
        Directory.CreateDirectory(tree);
        var gone = new MongoDbTarget { Name = "gone", ConnectionString = "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=1000", Database = "x" };
        await _fx.NewCollectionAsync("mixed", targets: [db.Target("mongo"), gone, EngineFixture.Tree("files", tree)]);

        var statuses = new List<BackupTargetStatus>();
        await foreach (var status in _fx.Engine.GetTargetStatusAsync(_fx.Repository, "mixed")) statuses.Add(status);
        Assert.Equal(["mongo", "gone", "files"], statuses.Select(s => s.Target));

        var mongo = statuses[0];
        Assert.True(mongo.Reachable);
        Assert.Equal(("MongoDb", "standalone", "", (TimeSpan?)null), (mongo.Kind, mongo.Role, mongo.ErrorId, mongo.ReplicationLag));
        Assert.Contains("standalone", mongo.Message);

        Assert.False(statuses[1].Reachable);
        Assert.Equal("TargetUnavailable", statuses[1].ErrorId);
        Assert.Contains("unreachable", statuses[1].Message);

        Assert.True(statuses[2].Reachable); // every kind has a health probe, file trees too
        Assert.Equal("", statuses[2].Role);
    }

    [Fact]
    public async Task ReplicationOfAStandaloneServerIsOneMemberAndPromotionIsNotImplemented()
    {
        await using var db = MongoTestDatabase.Create("repl");
        var member = Assert.Single(await Kind.GetReplicationAsync(db.Target(), null, CancellationToken.None));
        Assert.Equal(("standalone", true, (TimeSpan?)null), (member.Role, member.Reachable, member.LagTime));

        var error = await Assert.ThrowsAsync<PsBackupException>(() => Kind.PromoteAsync(db.Target(), "127.0.0.1:27017", null, CancellationToken.None));
        Assert.Equal(("PromoteNotSupported", ErrorKind.NotImplemented), (error.ErrorId, error.Kind));
    }

    /// <summary>
    /// congodb has no replica set, so replSetGetStatus is read here from a reply shaped as MongoDB
    /// 7.0 documents it (members with stateStr, health, optimeDate, syncSourceHost, lastHeartbeatMessage).
    /// </summary>
    [Fact]
    public void ReplicaSetMembersAndTheirLagComeFromReplSetGetStatus()
    {
        var now = new DateTime(2026, 12, 7, 12, 0, 0, DateTimeKind.Utc);
        var status = new BsonDocument
        {
            { "set", "rs0" }, { "myState", 2 }, { "ok", 1 },
            { "members", new BsonArray
            {
                new BsonDocument { { "_id", 0 }, { "name", "db1:27017" }, { "health", 1.0 }, { "state", 1 }, { "stateStr", "PRIMARY" }, { "optimeDate", now }, { "syncSourceHost", "" } },
                new BsonDocument { { "_id", 1 }, { "name", "db2:27017" }, { "health", 1.0 }, { "state", 2 }, { "stateStr", "SECONDARY" }, { "optimeDate", now.AddSeconds(-3) }, { "syncSourceHost", "db1:27017" } },
                new BsonDocument { { "_id", 2 }, { "name", "db3:27017" }, { "health", 0.0 }, { "state", 8 }, { "stateStr", "(not reachable/healthy)" }, { "optimeDate", new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc) }, { "lastHeartbeatMessage", "Connection refused" } },
                new BsonDocument { { "_id", 3 }, { "name", "db4:27017" }, { "health", 1.0 }, { "state", 7 }, { "stateStr", "ARBITER" } },
            } },
        };
        var members = MongoDbReplication.FromStatus(status);
        Assert.Equal(4, members.Count);
        Assert.Equal(new ReplicaState("db1:27017", true, "primary", true, null, TimeSpan.Zero, ""), members[0]);
        Assert.Equal(new ReplicaState("db2:27017", true, "secondary", true, null, TimeSpan.FromSeconds(3), ""), members[1]);
        Assert.Equal(new ReplicaState("db3:27017", false, "(not reachable/healthy)", false, null, null, "Connection refused"), members[2]);
        Assert.Equal(("arbiter", (TimeSpan?)null), (members[3].Role, members[3].LagTime));
    }

    [Fact]
    public async Task AProbeSeparatesARefusedLoginFromAnUnreachableServer()
    {
        await using var db = MongoTestDatabase.Create("probe");
        await Kind.ProbeAsync(db.Target(), null, CancellationToken.None);
        var noPassword = db.Target();
        noPassword.ConnectionString = noPassword.ConnectionString.Replace("mongodb://", "mongodb://backup@");
        Assert.Equal("TargetAuthenticationFailed", (await Assert.ThrowsAsync<TargetAuthenticationException>(() => Kind.ProbeAsync(noPassword, null, CancellationToken.None))).ErrorId);
        var gone = new MongoDbTarget { Name = "gone", ConnectionString = "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=1000", Database = "x" };
        Assert.Equal("TargetUnavailable", (await Assert.ThrowsAsync<TargetUnavailableException>(() => Kind.ProbeAsync(gone, null, CancellationToken.None))).ErrorId);
    }

    [Fact]
    public async Task ADrillRestoresIntoAScratchDatabaseVerifiesItCatchesTamperingAndDropsIt()
    {
        await using var db = MongoTestDatabase.Create("drill");
        await db.InsertAsync("orders", Enumerable.Range(0, 50).Select(MongoDocuments.Typed));
        await db.InsertAsync("events", Enumerable.Range(0, 5_000).Select(MongoDocuments.Small));
        await db.Collection("orders").Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(Builders<BsonDocument>.IndexKeys.Ascending("int32")));
        await _fx.NewCollectionAsync("mongo", targets: db.Target());
        var backup = await _fx.BackupAsync("mongo");

        using var opened = await OpenedBackup.OpenAsync(_fx.Repository, null, backup.Id, null, CancellationToken.None);
        var target = Assert.IsType<MongoDbTarget>(Assert.Single(CollectionAccess.Describe(opened.Definition, opened.Repository).Targets));
        var scratch = await Kind.CreateScratchAsync(target, new DrillSettings(), CancellationToken.None);
        var scratchDatabase = scratch.Destination;
        Assert.StartsWith("psbackup_drill_", scratchDatabase);
        await using (scratch)
        {
            // Restore through the engine, as a drill does: the scratch's destination and options.
            await foreach (var outcome in _fx.Engine.RestoreAsync(new RestoreRequest(backup.Id)
                           {
                               Repository = _fx.Repository, Destination = scratch.Destination,
                               Options = scratch.RestoreOptions == null ? [] : [scratch.RestoreOptions],
                           }))
                Assert.Null(outcome.Error);
            var restored = new TargetRestoreContext(opened.Reader, opened.Chain, target, scratch.Destination, false, null) { Options = scratch.RestoreOptions };

            var checks = await Kind.VerifyAsync(restored, scratch, CancellationToken.None);
            Assert.Equal(8, checks.Count); // documents, content, sample, indexes of each collection
            Assert.All(checks, c => Assert.True(c.Passed, $"{c.Name}: expected {c.Expected}, observed {c.Observed}"));
            Assert.Contains(checks, c => c.Name == "orders: documents" && c.Observed == "50");
            Assert.Contains(checks, c => c.Name == "orders: indexes" && c.Observed == "_id_, int32_1");

            // One changed field in one document of the scratch copy: the checks say which.
            var victim = (await db.Client.GetDatabase(scratchDatabase).GetCollection<BsonDocument>("orders").Find(FilterDefinition<BsonDocument>.Empty).Skip(17).Limit(1).ToListAsync()).Single();
            await db.Client.GetDatabase(scratchDatabase).GetCollection<BsonDocument>("orders")
                .UpdateOneAsync(Builders<BsonDocument>.Filter.Eq("_id", victim["_id"]), Builders<BsonDocument>.Update.Set("text", "tampered"));
            checks = await Kind.VerifyAsync(restored, scratch, CancellationToken.None);
            var failed = checks.Where(c => !c.Passed).ToList();
            Assert.Equal(["orders: content (every document's bytes)", "orders: sample of 50 documents"], failed.Select(c => c.Name));
            Assert.Contains(victim["_id"].AsObjectId.ToString(), failed[1].Observed);
            Assert.Contains("differs", failed[1].Observed);
        }
        Assert.DoesNotContain(scratchDatabase, await (await db.Client.ListDatabaseNamesAsync()).ToListAsync());
    }

    public void Dispose() => _fx.Dispose();
}
