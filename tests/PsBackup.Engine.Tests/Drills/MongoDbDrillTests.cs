using System.Buffers.Binary;
using MongoDB.Bson;
using MongoDB.Driver;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Tests.MongoDb;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Drills;

/// <summary>
/// MongoDB drills through Invoke-RestoreDrill's runner against the test peer (congodb): a scratch
/// database on the target's server, documents counted, hashed and sampled against the backup and
/// its record, indexes compared; the scratch database dropped in every case; evidence recorded.
/// </summary>
[Collection(DrillCollection.Name)]
public sealed class MongoDbDrillTests : IDisposable
{
    private readonly EngineFixture _fx = new();

    [Fact]
    public async Task A_drill_passes_with_exact_counts_records_evidence_and_drops_its_database()
    {
        await using var db = MongoTestDatabase.Create("drillok");
        await db.InsertAsync("orders", Enumerable.Range(0, 50).Select(MongoDocuments.Typed));
        await db.InsertAsync("events", Enumerable.Range(0, 3_000).Select(MongoDocuments.Small));
        await db.Collection("orders").Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(Builders<BsonDocument>.IndexKeys.Ascending("int32")));
        await _fx.NewCollectionAsync("mongo", targets: db.Target());
        var backup = await _fx.BackupAsync("mongo");
        var databases = await ScratchDatabasesAsync(db);

        var before = DateTimeOffset.UtcNow;
        var outcome = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("mongo")));
        var after = DateTimeOffset.UtcNow;
        var result = DrillSupport.AssertPassed(outcome, before, after, backup.EndTime);
        Assert.Equal(("mongodb", backup.Id), (result.Kind.ToLowerInvariant(), result.BackupId));
        Assert.Equal(10, result.ChecksPassed); // per collection: record, documents, content, sample, indexes
        var recordCheck = result.Check("orders: documents in the backup");
        Assert.Equal(("50 documents", "50 documents"), (recordCheck.Expected, recordCheck.Observed));
        Assert.Equal("3000", Assert.Single(result.CheckList, c => c.Name == "events: documents").Observed);
        Assert.Equal("_id_, int32_1", result.Check("orders: indexes").Observed);
        Assert.Contains("psbackup_drill_" + result.DrillId.ToLowerInvariant(), result.RestoredTo);
        Assert.Equal(databases, await ScratchDatabasesAsync(db));

        var recorded = Assert.Single(await _fx.RecordedAsync("mongo"));
        Assert.Equal((result.DrillId, result.RestoreDuration, result.DataLoss, result.ChecksPassed),
            (recorded.DrillId, recorded.RestoreDuration, recorded.DataLoss, recorded.ChecksPassed));
        Assert.Equal(db.Name, (await db.Client.ListDatabaseNamesAsync()).ToList().Single(n => n == db.Name)); // the source is untouched
        Assert.Equal(50, await db.Collection("orders").CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
    }

    [Fact]
    public async Task A_document_dropped_from_a_resealed_artifact_and_a_flipped_byte_fail_the_drill_and_leave_no_database()
    {
        await using var db = MongoTestDatabase.Create("drillbad");
        await db.InsertAsync("orders", Enumerable.Range(0, 40).Select(MongoDocuments.Typed));
        await _fx.NewCollectionAsync("mongo", targets: db.Target());
        var backup = await _fx.BackupAsync("mongo");
        var databases = await ScratchDatabasesAsync(db);

        // A document dropped from the resealed data artifact: every repository check passes; the restore counts against the metadata artifact.
        ArtifactTamper.Rewrite(_fx.Repository, "mongo", backup.Id, "mongo", "orders.bson", bson => bson[BinaryPrimitives.ReadInt32LittleEndian(bson)..]);
        Assert.All(await _fx.VerifyAsync(backup.Id), f => Assert.Equal(VerificationStatus.Ok, f.Status));
        var outcome = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("mongo")));
        Assert.Equal(DrillStatus.Failed, outcome.Result.Status);
        Assert.Equal("ArtifactCorrupt", outcome.Error!.ErrorId);
        Assert.Contains("holds 39 documents, but its metadata records 40", outcome.Result.Reason);
        Assert.Equal(databases, await ScratchDatabasesAsync(db));

        // The metadata resealed to match: the restore succeeds, and only the manifest's record of the documents tells.
        ArtifactTamper.Rewrite(_fx.Repository, "mongo", backup.Id, "mongo", "orders.metadata.json", json => System.Text.Encoding.UTF8.GetBytes(
            System.Text.RegularExpressions.Regex.Replace(System.Text.Encoding.UTF8.GetString(json), "(\"count\"\\s*:\\s*(\\{\\s*\"\\$number(Long|Int)\"\\s*:\\s*\"?)?)40", "${1}39")));
        outcome = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("mongo")));
        Assert.Equal(DrillStatus.Failed, outcome.Result.Status);
        Assert.True(outcome.Error!.ErrorId == "RestoreDrillFailed", outcome.Error.ErrorId + ": " + outcome.Error.Message);
        var check = outcome.Result.Check("orders: documents in the backup");
        Assert.Equal(("40 documents", "39 documents", false), (check.Expected, check.Observed, check.Passed));
        Assert.Contains("orders: documents in the backup against its record: expected 40 documents, observed 39 documents", outcome.Result.Reason);
        Assert.Equal(databases, await ScratchDatabasesAsync(db));

        // A flipped byte: the restore refuses the artifact.
        var artifact = Directory.EnumerateFiles(Path.Combine(_fx.Repository, "collections", "mongo", "backups", backup.Id), "orders.bson*", SearchOption.AllDirectories).Single();
        var bytes = await File.ReadAllBytesAsync(artifact);
        bytes[bytes.Length / 2] ^= 0x10;
        await File.WriteAllBytesAsync(artifact, bytes);
        outcome = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("mongo")));
        Assert.Equal("ArtifactCorrupt", outcome.Error!.ErrorId);
        Assert.Equal(DrillStatus.Failed, outcome.Result.Status);
        Assert.Equal(databases, await ScratchDatabasesAsync(db));
        Assert.Equal(3, (await _fx.RecordedAsync("mongo")).Count);
    }

    [Fact]
    public async Task KeepRestored_leaves_the_scratch_database_and_WhatIf_names_it()
    {
        await using var db = MongoTestDatabase.Create("drillkeep");
        await db.InsertAsync("orders", Enumerable.Range(0, 10).Select(MongoDocuments.Typed));
        await _fx.NewCollectionAsync("mongo", targets: db.Target());
        await _fx.BackupAsync("mongo");

        var plan = Assert.Single(await _fx.Engine.PlanRestoreDrillAsync(new RestoreDrillRequest("mongo") { Repository = _fx.Repository }));
        Assert.StartsWith("a new database psbackup_drill_… on the target's server", Assert.Single(plan.Steps).Scratch);

        var outcome = Assert.Single(await _fx.DrillAsync(new RestoreDrillRequest("mongo") { KeepRestored = true }));
        Assert.True(outcome.Result.Kept, outcome.Result.Reason);
        var kept = outcome.Result.RestoredTo[(outcome.Result.RestoredTo.LastIndexOf('/') + 1)..];
        try
        {
            Assert.Equal(10, await db.Collection("orders", kept).CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
        }
        finally
        {
            await db.Client.DropDatabaseAsync(kept);
        }
    }

    private static async Task<List<string>> ScratchDatabasesAsync(MongoTestDatabase db) =>
        (await (await db.Client.ListDatabaseNamesAsync()).ToListAsync()).Where(n => n.StartsWith("psbackup_drill_", StringComparison.Ordinal)).Order().ToList();

    public void Dispose() => _fx.Dispose();
}
