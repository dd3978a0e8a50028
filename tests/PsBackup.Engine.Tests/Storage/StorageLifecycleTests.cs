using System.Diagnostics;
using Amazon.S3;
using Amazon.S3.Model;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Repository;
using PsBackup.Engine.Storage;
using PsBackup.Engine.Storage.S3;
using S3Location = PsBackup.Engine.Storage.S3.S3Location;
using PsBackup.Engine.Tests.Peers;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Storage;

/// <summary>
/// Set-/Get-/Remove-BackupStorageLifecycle against s3rver, which tests/peers/install.sh patches
/// to store and return a bucket's lifecycle configuration. s3rver never executes the rules
/// (nothing is ever transitioned or expired there), so these tests check the rules S3 is given.
/// </summary>
public sealed class StorageLifecycleTests : IDisposable
{
    private readonly TempDirectory _temp = new("lifecycle");
    private readonly BackupEngine _engine = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>The seeds' lifecycle: STANDARD_IA after 30 days, GLACIER after 90, DEEP_ARCHIVE after 365, expire after 7 years.</summary>
    private static readonly LifecyclePolicy Seed = Policy(2555, ("STANDARD_IA", 30), ("GLACIER", 90), ("DEEP_ARCHIVE", 365));

    private static LifecyclePolicy Policy(int? expire, params (string Class, int Days)[] transitions) =>
        new(transitions.ToDictionary(t => t.Class, t => t.Days), expire);

    /// <summary>A repository (config.json and one collection) at s3://fresh-bucket/repo.</summary>
    private async Task<(string Location, S3Location S3)> NewRepositoryAsync()
    {
        var location = await S3Repository.NewAsync();
        await _engine.NewCollectionAsync(new NewCollectionRequest("c", [EngineFixture.Tree("src", _temp.Path)]) { Repository = location });
        return (location, S3Location.Parse(location));
    }

    private static async Task<List<LifecycleRule>> BucketRulesAsync(string bucket)
    {
        using var client = TestPeers.CreateS3Client();
        try
        {
            return (await client.GetLifecycleConfigurationAsync(bucket)).Configuration?.Rules ?? [];
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchLifecycleConfiguration")
        {
            return [];
        }
    }

    private static async Task PutBucketRulesAsync(string bucket, params LifecycleRule[] rules)
    {
        using var client = TestPeers.CreateS3Client();
        await client.PutLifecycleConfigurationAsync(bucket, new LifecycleConfiguration { Rules = [.. rules] });
    }

    /// <summary>A rule as one comparable line: id, filter, status, transitions, expiration, abort of uploads.</summary>
    private static string Line(LifecycleRule r) =>
        $"{r.Id} | {RepositoryLifecycleRules.PrefixOf(r)} | " +
        string.Join(",", RepositoryLifecycleRules.TagsOf(r).Select(t => $"{t.Key}={t.Value}")) + $" | {r.Status?.Value} | " +
        string.Join(",", (r.Transitions ?? []).Select(t => $"{t.StorageClass?.Value}@{t.Days}")) +
        $" | exp {r.Expiration?.Days} | abort {r.AbortIncompleteMultipartUpload?.DaysAfterInitiation}";

    /// <summary>Another team's rules in the same bucket: one for another prefix, one for the whole bucket.</summary>
    private static readonly LifecycleRule OtherPrefix = new()
    {
        Id = "other-team", Filter = new LifecycleFilter { Prefix = "other/" }, Status = LifecycleRuleStatus.Enabled,
        Expiration = new LifecycleRuleExpiration { Days = 10 },
    };

    private static readonly LifecycleRule WholeBucket = new()
    {
        Id = "abort-uploads", Filter = new LifecycleFilter { Prefix = "" }, Status = LifecycleRuleStatus.Enabled,
        AbortIncompleteMultipartUpload = new LifecycleRuleAbortIncompleteMultipartUpload { DaysAfterInitiation = 7 },
    };

    [Fact]
    public async Task Set_then_get_round_trips_the_exact_rules()
    {
        var (location, s3) = await NewRepositoryAsync();
        Assert.False((await _engine.GetStorageLifecycleAsync(location)).Enabled);

        var set = await _engine.SetStorageLifecycleAsync(location, Seed);
        var got = await _engine.GetStorageLifecycleAsync(location);
        foreach (var lifecycle in new[] { set, got })
        {
            Assert.True(lifecycle.Enabled);
            Assert.Equal($"s3://{s3.Bucket}/repo/", lifecycle.Repository);
            Assert.Equal((s3.Bucket, "repo/"), (lifecycle.Bucket, lifecycle.Prefix));
            Assert.Equal((30, null, null, null, 90, 365), (lifecycle.TransitionToStandardIADays, lifecycle.TransitionToIntelligentTieringDays,
                lifecycle.TransitionToOneZoneIADays, lifecycle.TransitionToGlacierIRDays, lifecycle.TransitionToGlacierDays, lifecycle.TransitionToDeepArchiveDays));
            Assert.Equal(2555, lifecycle.ExpireAfterDays);
            Assert.Equal("STANDARD_IA after 30 d, GLACIER after 90 d, DEEP_ARCHIVE after 365 d", lifecycle.Transitions);
            Assert.Equal("psbackup:repo/:data, psbackup:repo/:manifests", lifecycle.RuleIds);
            Assert.Equal("", lifecycle.OtherRules);
        }

        // What S3 holds: data objects transition and expire a day after their manifests; only tagged objects under collections/.
        Assert.Equal(
        [
            "psbackup:repo/:data | repo/collections/ | psbackup:object=data | Enabled | STANDARD_IA@30,GLACIER@90,DEEP_ARCHIVE@365 | exp 2556 | abort ",
            "psbackup:repo/:manifests | repo/collections/ | psbackup:object=manifest | Enabled |  | exp 2555 | abort ",
        ], (await BucketRulesAsync(s3.Bucket)).Select(Line));
    }

    [Fact]
    public async Task Set_update_and_remove_touch_only_the_repository_rules()
    {
        var (location, s3) = await NewRepositoryAsync();
        await PutBucketRulesAsync(s3.Bucket, OtherPrefix, WholeBucket);
        var others = new[] { Line(OtherPrefix), Line(WholeBucket) };

        // Set: the other rules are kept as they were; the whole-bucket one is reported as also acting on the repository.
        var set = await _engine.SetStorageLifecycleAsync(location, Seed);
        Assert.Equal("abort-uploads", set.OtherRules);
        var rules = (await BucketRulesAsync(s3.Bucket)).Select(Line).ToList();
        Assert.Equal(4, rules.Count);
        Assert.Equal(others, rules.Take(2));

        // Update: ours replaced (no expiration now, so no manifest rule), the others untouched.
        var updated = await _engine.SetStorageLifecycleAsync(location, Policy(null, ("GLACIER_IR", 0)));
        Assert.Equal((null, 0, null, null), (updated.TransitionToStandardIADays, updated.TransitionToGlacierIRDays, updated.TransitionToDeepArchiveDays, updated.ExpireAfterDays));
        Assert.Equal(
        [
            .. others,
            "psbackup:repo/:data | repo/collections/ | psbackup:object=data | Enabled | GLACIER_IR@0 | exp  | abort ",
        ], (await BucketRulesAsync(s3.Bucket)).Select(Line));

        // A second repository in the same bucket has rules of its own, independent of the first's.
        var second = $"s3://{s3.Bucket}/second";
        await _engine.NewCollectionAsync(new NewCollectionRequest("c", [EngineFixture.Tree("src", _temp.Path)]) { Repository = second });
        await _engine.SetStorageLifecycleAsync(second, Policy(400, ("DEEP_ARCHIVE", 1)));
        Assert.Equal(0, (await _engine.GetStorageLifecycleAsync(location)).TransitionToGlacierIRDays);
        Assert.Equal(400, (await _engine.GetStorageLifecycleAsync(second)).ExpireAfterDays);

        // Remove: only the first repository's rule goes.
        await _engine.SetStorageLifecycleAsync(location, null);
        var after = (await BucketRulesAsync(s3.Bucket)).Select(Line).ToList();
        Assert.Equal(others, after.Take(2));
        Assert.Equal(["psbackup:second/:data", "psbackup:second/:manifests"], after.Skip(2).Select(l => l.Split(" | ")[0]));
        var removed = await _engine.GetStorageLifecycleAsync(location);
        Assert.Equal((false, "", null), (removed.Enabled, removed.RuleIds, removed.TransitionToGlacierIRDays));
    }

    [Fact]
    public async Task Removing_the_last_rules_deletes_the_configuration()
    {
        var (location, s3) = await NewRepositoryAsync();
        await _engine.SetStorageLifecycleAsync(location, Seed);
        await _engine.SetStorageLifecycleAsync(location, null);
        using var client = TestPeers.CreateS3Client();
        // The SDK turns S3's 404 NoSuchLifecycleConfiguration into an empty answer.
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await client.GetLifecycleConfigurationAsync(s3.Bucket)).HttpStatusCode);
        // Removing again is fine: nothing to remove.
        await _engine.SetStorageLifecycleAsync(location, null);
    }

    [Fact]
    public async Task A_plan_shows_the_change_and_writes_nothing()
    {
        var (location, s3) = await NewRepositoryAsync();
        await PutBucketRulesAsync(s3.Bucket, OtherPrefix);
        var before = (await BucketRulesAsync(s3.Bucket)).Select(Line).ToList();

        var plan = await _engine.PlanStorageLifecycleAsync(location, Seed);
        Assert.False(plan.Current.Enabled);
        Assert.Equal((true, 90, 2555), (plan.Planned.Enabled, plan.Planned.TransitionToGlacierDays, plan.Planned.ExpireAfterDays));
        Assert.Equal(1, plan.OtherRulesKept);
        Assert.Contains("STANDARD_IA after 30 d, GLACIER after 90 d, DEEP_ARCHIVE after 365 d, backups expire after 2555 d", plan.Description);
        Assert.Contains("1 other rule(s)", plan.Description);
        Assert.Equal(before, (await BucketRulesAsync(s3.Bucket)).Select(Line));

        await _engine.SetStorageLifecycleAsync(location, Seed);
        var removal = await _engine.PlanStorageLifecycleAsync(location, null);
        Assert.StartsWith("Remove PsBackup's lifecycle rules (psbackup:repo/:data, psbackup:repo/:manifests)", removal.Description);
        Assert.Equal(3, (await BucketRulesAsync(s3.Bucket)).Count);
    }

    public static TheoryData<string, string, string> BadPolicies => new()
    {
        // transitions as "CLASS=days;…", expiration ("" for none), the message must contain
        { "", "", "Nothing to set" },
        { "STANDARD_IA=10", "", "no earlier than 30 days" },
        { "GLACIER=-1", "", "cannot be negative" },
        { "STANDARD_IA=90;GLACIER=60", "", "must come after the transition to STANDARD_IA" },
        { "STANDARD_IA=30;GLACIER=40", "", "stay in STANDARD_IA at least 30 days" },
        { "GLACIER=90;DEEP_ARCHIVE=120", "", "stay in GLACIER at least 90 days" },
        { "GLACIER=90", "90", "after the last transition" },
        { "DEEP_ARCHIVE=100", "200", "stay in DEEP_ARCHIVE at least 180 days" },
        { "", "0", "1 day after" },
    };

    [Theory]
    [MemberData(nameof(BadPolicies))]
    public async Task Invalid_rules_are_refused_and_nothing_is_written(string transitions, string expire, string message)
    {
        var (location, s3) = await NewRepositoryAsync();
        await PutBucketRulesAsync(s3.Bucket, OtherPrefix);
        var policy = new LifecyclePolicy(
            transitions.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(t => t.Split('=')).ToDictionary(t => t[0], t => int.Parse(t[1])),
            expire.Length == 0 ? null : int.Parse(expire));
        foreach (var call in new Func<Task>[] { () => _engine.SetStorageLifecycleAsync(location, policy), () => _engine.PlanStorageLifecycleAsync(location, policy) })
        {
            var error = await Assert.ThrowsAsync<InvalidBackupRequestException>(call);
            Assert.Equal("InvalidLifecycleRule", error.ErrorId);
            Assert.Contains(message, error.Message);
        }
        Assert.Equal([Line(OtherPrefix)], (await BucketRulesAsync(s3.Bucket)).Select(Line));
    }

    [Fact]
    public async Task A_class_that_is_no_transition_target_is_refused()
    {
        var (location, _) = await NewRepositoryAsync();
        var error = await Assert.ThrowsAsync<InvalidBackupRequestException>(() => _engine.SetStorageLifecycleAsync(location, Policy(null, ("STANDARD", 30))));
        Assert.Equal("InvalidStorageClass", error.ErrorId);
    }

    [Fact]
    public async Task Local_and_missing_repositories_are_clear_errors()
    {
        var local = _temp.Combine("local");
        await _engine.NewCollectionAsync(new NewCollectionRequest("c", [EngineFixture.Tree("src", _temp.Path)]) { Repository = local });
        var error = await Assert.ThrowsAsync<InvalidBackupRequestException>(() => _engine.GetStorageLifecycleAsync(local));
        Assert.Equal("LifecycleRequiresS3", error.ErrorId);
        error = await Assert.ThrowsAsync<InvalidBackupRequestException>(() => _engine.SetStorageLifecycleAsync(local, Seed));
        Assert.Equal("LifecycleRequiresS3", error.ErrorId);

        // A prefix without a repository (a typo) gets no rules of its own.
        var (location, s3) = await NewRepositoryAsync();
        var missing = await Assert.ThrowsAsync<RepositoryNotFoundException>(() => _engine.SetStorageLifecycleAsync($"s3://{s3.Bucket}/rpeo", Seed));
        Assert.Contains("rpeo", missing.Message);
        Assert.Empty(await BucketRulesAsync(s3.Bucket));
        Assert.False((await _engine.GetStorageLifecycleAsync(location)).Enabled);
    }

    [Fact]
    public async Task Wrong_credentials_fail_fast_with_access_denied()
    {
        var (location, s3) = await NewRepositoryAsync();
        var wrong = new RepositoryAddress(location, S3Repository.Options() with { AccessKey = "WRONG", SecretKey = "WRONG" });
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<PsBackupException>(() => _engine.SetStorageLifecycleAsync(wrong, Seed));
        Assert.Equal("RepositoryAccessDenied", error.ErrorId);
        error = await Assert.ThrowsAsync<PsBackupException>(() => _engine.GetStorageLifecycleAsync(wrong));
        Assert.Equal("RepositoryAccessDenied", error.ErrorId);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}: a refusal must not be retried");
        Assert.Empty(await BucketRulesAsync(s3.Bucket));
    }

    [Fact]
    public async Task Data_objects_and_manifests_carry_the_tags_the_rules_select_by()
    {
        // s3rver does not keep tags, so they are checked on the wire.
        using var proxy = new FaultyProxy(TestPeers.S3Endpoint);
        var location = await S3Repository.NewAsync();
        var address = new RepositoryAddress(location, S3Repository.Options(partSize: 5 << 20) with { Endpoint = proxy.Url });
        var tree = new TreeBuilder(_temp.Combine("src")).RandomFile("big.bin", 6_000_000, 1).File("small.txt", "s").TouchDirectories();
        await _engine.NewCollectionAsync(new NewCollectionRequest("tagged", [EngineFixture.Tree("src", tree.Root)]) { Repository = address });
        await _engine.InvokeBackupAsync(new BackupRequest("tagged") { Repository = address });

        var writes = proxy.Requests.Where(r => r.Method is "PUT" or "POST" && !r.Target.Contains("partNumber=") && !r.Target.Contains("uploadId=")).ToList();
        string? Tagging(ProxyRequest r) => r.Headers.GetValueOrDefault("x-amz-tagging") is { } t ? Uri.UnescapeDataString(t) : null;
        var data = writes.Where(r => r.Target.Contains("/src/")).ToList();
        Assert.Contains(data, r => r.Target.Contains("?uploads")); // the multipart initiation is tagged too
        Assert.All(data, r => Assert.Equal("psbackup:object=data", Tagging(r)));
        Assert.Equal("psbackup:object=manifest", Tagging(Assert.Single(writes, r => r.Target.Contains("/manifest.json"))));
        Assert.All(writes.Where(r => r.Target.Contains("config.json") || r.Target.Contains("collection.json") || r.Target.Contains("lock.json")),
            r => Assert.Null(Tagging(r)));
    }

    [Fact]
    public void User_tags_leave_room_for_the_role_tag()
    {
        var tags = Enumerable.Range(0, 10).ToDictionary(i => $"k{i}", i => "v");
        Assert.Equal("TooManyTags", Assert.Throws<InvalidBackupRequestException>(() => new ObjectWriteSettings { Tags = tags }.Validate()).ErrorId);
        var reserved = new Dictionary<string, string> { ["psbackup:object"] = "x" };
        Assert.Equal("ReservedTag", Assert.Throws<InvalidBackupRequestException>(() => new ObjectWriteSettings { Tags = reserved }.Validate()).ErrorId);
    }
}
