using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;

using PsBackup.Engine.Storage;
using PsBackup.Engine.Storage.S3;
using S3Location = PsBackup.Engine.Storage.S3.S3Location;

namespace PsBackup.Engine.Repository;

/// <summary>
/// PsBackup's lifecycle rules for one repository prefix, among the bucket's other rules. Built
/// here, where the repository's layout is known, and handed to the store (<see cref="IBucketLifecycleStore"/>). Two
/// rules with fixed ids, both limited to the repository's "collections/" and to objects carrying
/// PsBackup's role tag (<see cref="ObjectWriteSettings.RoleTagKey"/>), so that config.json,
/// collection definitions and locks are never touched and manifests never leave STANDARD:
/// <list type="bullet">
/// <item>"psbackup:&lt;prefix&gt;:data" — data objects (tag "data"): the transitions, and expiration
/// one day after the backup's;</item>
/// <item>"psbackup:&lt;prefix&gt;:manifests" — manifests (tag "manifest"): expiration only. A backup's
/// manifest is its commit point, so it goes first and no listed backup ever lacks its data.</item>
/// </list>
/// Every other rule of the bucket is kept as it is.
/// </summary>
internal static class RepositoryLifecycleRules
{
    private const string IdPrefix = "psbackup:";

    public static string DataRuleId(string prefix) => Id(prefix, "data");
    public static string ManifestRuleId(string prefix) => Id(prefix, "manifests");

    /// <summary>"psbackup:&lt;prefix&gt;:&lt;role&gt;"; S3 allows 255 characters, so a long prefix is named by its hash.</summary>
    private static string Id(string prefix, string role)
    {
        var id = $"{IdPrefix}{prefix}:{role}";
        return id.Length <= 255 ? id : $"{IdPrefix}sha256-{Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(prefix)))[..32].ToLowerInvariant()}:{role}";
    }

    public static bool IsOurs(LifecycleRule rule, string prefix) => rule.Id == DataRuleId(prefix) || rule.Id == ManifestRuleId(prefix);

    /// <summary>The rules that carry out <paramref name="policy"/> for the repository at <paramref name="prefix"/>.</summary>
    public static List<LifecycleRule> Build(string prefix, LifecyclePolicy policy)
    {
        var rules = new List<LifecycleRule>
        {
            new()
            {
                Id = DataRuleId(prefix),
                Filter = Filter(prefix, ObjectWriteSettings.DataRole),
                Status = LifecycleRuleStatus.Enabled,
                Transitions = policy.Ordered.Any()
                    ? policy.Ordered.Select(t => new LifecycleTransition { Days = t.Days, StorageClass = S3StorageClass.FindValue(t.StorageClass) }).ToList()
                    : null,
                Expiration = policy.ExpireAfterDays is { } days ? new LifecycleRuleExpiration { Days = days + 1 } : null,
            },
        };
        if (policy.ExpireAfterDays is { } expire)
            rules.Add(new LifecycleRule
            {
                Id = ManifestRuleId(prefix),
                Filter = Filter(prefix, ObjectWriteSettings.ManifestRole),
                Status = LifecycleRuleStatus.Enabled,
                Expiration = new LifecycleRuleExpiration { Days = expire },
            });
        return rules;
    }

    private static LifecycleFilter Filter(string prefix, string role) => new()
    {
        And = new LifecycleRuleAndOperator
        {
            Prefix = prefix + RepositoryKeys.CollectionsPrefix,
            Tags = [new Tag { Key = ObjectWriteSettings.RoleTagKey, Value = role }],
        },
    };

    /// <summary>The bucket's rules with this repository's replaced by <paramref name="ours"/>; every other rule kept, in order.</summary>
    public static List<LifecycleRule> Merge(IEnumerable<LifecycleRule> bucketRules, string prefix, IEnumerable<LifecycleRule> ours) =>
        [.. bucketRules.Where(r => !IsOurs(r, prefix)), .. ours];

    /// <summary>The repository's lifecycle as the pipeline sees it, from the bucket's rules.</summary>
    public static StorageLifecycle Describe(S3Location location, IReadOnlyList<LifecycleRule> bucketRules)
    {
        var data = bucketRules.FirstOrDefault(r => r.Id == DataRuleId(location.Prefix));
        var manifests = bucketRules.FirstOrDefault(r => r.Id == ManifestRuleId(location.Prefix));
        var ours = new[] { data, manifests }.OfType<LifecycleRule>().ToList();
        int? Days(string storageClass) => data?.Transitions?.FirstOrDefault(t => t.StorageClass?.Value == storageClass)?.Days;
        return new StorageLifecycle
        {
            Repository = location.ToString(),
            Bucket = location.Bucket,
            Prefix = location.Prefix,
            Enabled = ours.Count > 0 && ours.All(r => r.Status == LifecycleRuleStatus.Enabled),
            TransitionToStandardIADays = Days("STANDARD_IA"),
            TransitionToIntelligentTieringDays = Days("INTELLIGENT_TIERING"),
            TransitionToOneZoneIADays = Days("ONEZONE_IA"),
            TransitionToGlacierIRDays = Days("GLACIER_IR"),
            TransitionToGlacierDays = Days("GLACIER"),
            TransitionToDeepArchiveDays = Days("DEEP_ARCHIVE"),
            ExpireAfterDays = manifests?.Expiration?.Days ?? data?.Expiration?.Days - 1, // data expires a day after its manifest
            RuleIds = string.Join(", ", ours.Select(r => r.Id)),
            OtherRules = string.Join(", ", bucketRules.Where(r => !IsOurs(r, location.Prefix) && MayApplyTo(r, location.Prefix)).Select(r => r.Id ?? "(no id)")),
        };
    }

    /// <summary>
    /// Whether a rule's prefix overlaps the repository's (either contains the other). Tag and
    /// size conditions are not judged: a rule they might exclude still counts.
    /// </summary>
    private static bool MayApplyTo(LifecycleRule rule, string prefix)
    {
        var rulePrefix = PrefixOf(rule);
        return prefix.StartsWith(rulePrefix, StringComparison.Ordinal) || rulePrefix.StartsWith(prefix, StringComparison.Ordinal);
    }

    // The SDK writes a filter from its And/Prefix/Tag properties but reads one back into the
    // older LifecycleFilterPredicate tree, so both shapes are read (and the predicates are sent
    // back unchanged when other rules are kept).

    /// <summary>The key prefix a rule is limited to; "" for the whole bucket.</summary>
    public static string PrefixOf(LifecycleRule rule)
    {
#pragma warning disable CS0618 // LifecycleRule.Prefix: S3's legacy rule format (before Filter), still found in old buckets
        return rule.Filter?.And?.Prefix ?? rule.Filter?.Prefix ?? Predicates(rule).OfType<LifecyclePrefixPredicate>().FirstOrDefault()?.Prefix ?? rule.Prefix ?? "";
#pragma warning restore CS0618
    }

    /// <summary>The tags a rule's filter requires.</summary>
    public static IEnumerable<Tag> TagsOf(LifecycleRule rule) =>
        (rule.Filter?.And?.Tags ?? (rule.Filter?.Tag is { } tag ? [tag] : [])).Concat(Predicates(rule).OfType<LifecycleTagPredicate>().Select(p => p.Tag));

    private static IEnumerable<LifecycleFilterPredicate> Predicates(LifecycleRule rule) => rule.Filter?.LifecycleFilterPredicate switch
    {
        LifecycleAndOperator and => and.Operands ?? [],
        { } single => [single],
        null => [],
    };
}
