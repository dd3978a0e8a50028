using System.Net;
using Amazon.S3;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Storage.S3;

/// <summary>S3 failures as the engine's typed errors, with what to do about them.</summary>
internal static class S3Errors
{
    public static Exception Map(AmazonS3Exception e, S3Location location, string? key = null) => e switch
    {
        // GetObject on GLACIER/DEEP_ARCHIVE objects answers 403 InvalidObjectState: not an access problem.
        { ErrorCode: "InvalidObjectState" } =>
            new PsBackupException("ArtifactArchived", ErrorKind.ResourceUnavailable,
                $"'{location}{key}' is in an archive storage class (GLACIER or DEEP_ARCHIVE) and cannot be read directly. " +
                "Restore it to a readable copy first (S3 console, or aws s3api restore-object), wait for the restore to finish, then retry.", e),
        { StatusCode: HttpStatusCode.Forbidden } or { ErrorCode: "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "AccessDenied" } =>
            new PsBackupException("RepositoryAccessDenied", ErrorKind.Security,
                $"S3 denied access to '{location}' ({e.ErrorCode}): check the credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the profile) and the bucket policy.", e),
        { ErrorCode: "NoSuchBucket" } => new RepositoryNotFoundException(location.ToString()),
        { StatusCode: HttpStatusCode.NotFound } when key != null => new ObjectNotFoundException(key),
        _ => new PsBackupException("RepositoryUnavailable", ErrorKind.ResourceUnavailable,
                $"S3 request to '{location}' failed: {e.ErrorCode} {e.Message}", e),
    };

    /// <summary>A transient failure (timeout, broken connection) that outlasted the retries.</summary>
    public static Exception Unavailable(Exception e, S3Location location, int retries) =>
        new PsBackupException("RepositoryUnavailable", ErrorKind.ResourceUnavailable,
            $"S3 at '{location}' is unreachable or not answering ({retries} retries): {e.Message}", e);
}
