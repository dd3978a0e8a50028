using System.Net;
using Amazon.S3;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Storage;
using PsBackup.Engine.Storage.S3;
using PsBackup.Engine.Tests.Peers;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Storage;

/// <summary>A collection's storage class, server-side encryption and tags reach its data objects, and only those.</summary>
public sealed class S3ObjectSettingsTests : IDisposable
{
    private readonly TempDirectory _temp = new("s3settings");
    private readonly BackupEngine _engine = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Data_objects_get_the_collection_storage_settings_and_documents_stay_plain()
    {
        using var proxy = new FaultyProxy(TestPeers.S3Endpoint); // no faults: it records the requests on the wire
        var location = await S3Repository.NewAsync();
        var address = new RepositoryAddress(location, S3Repository.Options(partSize: 5 << 20) with { Endpoint = proxy.Url });
        var tree = new TreeBuilder(_temp.Combine("src")).RandomFile("big.bin", 12_000_000, 1).File("small.txt", "s").TouchDirectories();
        await _engine.NewCollectionAsync(new NewCollectionRequest("tiered", [EngineFixture.Tree("src", tree.Root)])
        {
            Repository = address,
            Storage = new ObjectWriteSettings
            {
                StorageClass = "STANDARD_IA", ServerSideEncryption = "AES256", Tags = new Dictionary<string, string> { ["app"] = "psbackup" },
            },
        });
        var info = Assert.Single(await _engine.GetCollectionsAsync(address, "tiered"));
        Assert.Equal("STANDARD_IA", info.StorageClass);
        var backup = (await _engine.InvokeBackupAsync(new BackupRequest("tiered") { Repository = address })).Backup;

        // Storage class, as S3 reports it on HEAD.
        using var client = TestPeers.CreateS3Client();
        var s3 = S3Location.Parse(location);
        var objects = await client.ListObjectsV2Async(new() { BucketName = s3.Bucket, Prefix = s3.Prefix });
        var artifacts = objects.S3Objects.Where(o => o.Key.Contains($"/{backup.Id}/src/")).ToList();
        Assert.Contains(artifacts, o => o.Key.Contains("/pack-"));
        Assert.Contains(artifacts, o => o.Key.Contains("/index"));
        foreach (var artifact in artifacts)
            Assert.Equal("STANDARD_IA", (await client.GetObjectMetadataAsync(s3.Bucket, artifact.Key)).StorageClass?.Value);
        foreach (var document in objects.S3Objects.Where(o => o.Key.EndsWith(".json")))
            Assert.NotEqual("STANDARD_IA", (await client.GetObjectMetadataAsync(s3.Bucket, document.Key)).StorageClass?.Value);

        // SSE and tags, as sent (s3rver accepts but does not keep them): on every data write, on no document write.
        var writes = proxy.Requests.Where(r => r.Method is "PUT" or "POST" && !r.Target.Contains("partNumber=") && !r.Target.Contains("uploadId=")).ToList();
        var dataWrites = writes.Where(r => r.Target.Contains("/src/")).ToList();
        Assert.NotEmpty(dataWrites);
        Assert.Contains(dataWrites, r => r.Target.Contains("?uploads")); // the 12 MB pack went multipart
        Assert.All(dataWrites, r =>
        {
            Assert.Equal("AES256", r.Headers.GetValueOrDefault("x-amz-server-side-encryption"));
            Assert.Contains("app=psbackup", r.Headers.GetValueOrDefault("x-amz-tagging") ?? "");
        });
        Assert.All(writes.Where(r => r.Target.EndsWith(".json")), r => Assert.False(r.Headers.ContainsKey("x-amz-server-side-encryption")));
    }

    [Fact]
    public async Task Invalid_storage_settings_are_refused_before_anything_is_written()
    {
        var repository = _temp.Combine("repo");
        var target = EngineFixture.Tree("src", _temp.Path);
        var error = await Assert.ThrowsAsync<InvalidBackupRequestException>(() => _engine.NewCollectionAsync(
            new NewCollectionRequest("bad", [target]) { Repository = repository, Storage = new ObjectWriteSettings { StorageClass = "COLD" } }));
        Assert.Equal("InvalidStorageClass", error.ErrorId);
        error = await Assert.ThrowsAsync<InvalidBackupRequestException>(() => _engine.NewCollectionAsync(
            new NewCollectionRequest("bad", [target]) { Repository = repository, Storage = new ObjectWriteSettings { KmsKeyId = "k" } }));
        Assert.Equal("InvalidServerSideEncryption", error.ErrorId);
        Assert.False(Directory.Exists(Path.Combine(repository, "collections", "bad")));
    }

    [Fact]
    public async Task Restoring_a_backup_in_an_archive_class_fails_at_once_saying_what_to_do_and_writes_nothing()
    {
        // tests/peers/install.sh patches s3rver to answer GET of a GLACIER object as S3 does: 403 InvalidObjectState.
        using var proxy = new FaultyProxy(TestPeers.S3Endpoint); // no faults: it counts the requests
        var location = await S3Repository.NewAsync();
        var address = new RepositoryAddress(location, S3Repository.Options() with { Endpoint = proxy.Url });
        var tree = new TreeBuilder(_temp.Combine("src")).File("a.txt", "archived").TouchDirectories();
        await _engine.NewCollectionAsync(new NewCollectionRequest("cold", [EngineFixture.Tree("src", tree.Root)])
        {
            Repository = address, Storage = new ObjectWriteSettings { StorageClass = "GLACIER" },
        });
        var backup = (await _engine.InvokeBackupAsync(new BackupRequest("cold") { Repository = address })).Backup;
        Assert.Equal(BackupStatus.Complete, backup.Status);
        Assert.Single(await _engine.GetBackupsAsync(new BackupQuery { Repository = address })); // manifests stay readable

        var destination = _temp.Combine("restored");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var outcomes = new List<RestoreOutcome>();
        await foreach (var outcome in _engine.RestoreAsync(new RestoreRequest(backup.Id) { Repository = address, Destination = destination }))
            outcomes.Add(outcome);
        clock.Stop();

        var error = Assert.Single(outcomes).Error;
        Assert.Equal("ArtifactArchived", error?.ErrorId);
        Assert.Contains("restore-object", error!.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.Single(proxy.Requests, r => r.Method == "GET" && r.Target.Contains($"/{backup.Id}/src/index")); // refused once, not retried
        Assert.False(Directory.Exists(destination));

        // Test-Backup says the same.
        var verification = new List<ArtifactVerification>();
        var verifyError = await Record.ExceptionAsync(async () =>
        {
            await foreach (var v in _engine.TestBackupAsync(new VerifyRequest(backup.Id) { Repository = address }))
                verification.Add(v);
        });
        Assert.True(verifyError is PsBackupException { ErrorId: "ArtifactArchived" } || verification.Any(v => v.Message?.Contains("restore-object") == true),
            $"Test-Backup: {verifyError?.Message ?? string.Join("; ", verification.Select(v => v.Message))}");
    }

    [Fact]
    public void Reading_an_archived_object_is_a_clear_error_not_an_access_problem()
    {
        // The mapping of S3's answer, on its own (the test above gets it from the patched s3rver).
        var answer = new AmazonS3Exception("The operation is not valid for the object's storage class")
            { ErrorCode = "InvalidObjectState", StatusCode = HttpStatusCode.Forbidden };
        var error = Assert.IsType<PsBackupException>(S3Errors.Map(answer, S3Location.Parse("s3://bucket/repo"), "collections/c/backups/x/src/pack-0.br"));
        Assert.Equal("ArtifactArchived", error.ErrorId);
        Assert.Contains("restore-object", error.Message);
    }
}
