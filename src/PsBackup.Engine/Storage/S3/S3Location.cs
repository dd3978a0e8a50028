using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Storage.S3;

/// <summary>A repository in S3: "s3://bucket/prefix" (the prefix may be empty).</summary>
public sealed record S3Location(string Bucket, string Prefix)
{
    public const string Scheme = "s3://";

    public static bool IsS3(string location) => location.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase);

    public static S3Location Parse(string location)
    {
        var rest = location[Scheme.Length..];
        var slash = rest.IndexOf('/');
        var bucket = slash < 0 ? rest : rest[..slash];
        var prefix = slash < 0 ? "" : rest[(slash + 1)..].Trim('/');
        if (bucket.Length is < 3 or > 63 || bucket.Any(c => !(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.')))
            throw new InvalidBackupRequestException("InvalidRepository",
                $"'{location}' is not an S3 repository location: use s3://bucket/prefix with a valid bucket name (3–63 lowercase letters, digits, '-', '.').");
        return new S3Location(bucket, prefix.Length == 0 ? "" : prefix + "/");
    }

    public override string ToString() => $"{Scheme}{Bucket}/{Prefix}";
}
