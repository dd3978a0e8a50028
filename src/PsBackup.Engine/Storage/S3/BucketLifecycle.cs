using Amazon.S3;
using Amazon.S3.Model;

namespace PsBackup.Engine.Storage.S3;

/// <summary>
/// A bucket's lifecycle configuration as S3 holds it: bucket-wide, one document for every
/// prefix, so changing one repository's rules means read, modify, write all of it.
/// </summary>
internal sealed record BucketLifecycle(IReadOnlyList<LifecycleRule> Rules, TransitionDefaultMinimumObjectSize? TransitionDefaultMinimumObjectSize);
