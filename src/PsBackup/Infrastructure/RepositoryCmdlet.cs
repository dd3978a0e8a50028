using System.Management.Automation;
using PsBackup.Engine;
using PsBackup.Engine.Storage.S3;

namespace PsBackup.Infrastructure;

/// <summary>
/// Base of the cmdlets that work in a repository: -Repository (binds from piped objects'
/// Repository property) and, for s3:// repositories, how to connect. Credentials given here
/// are used for this call only and never stored; without them the AWS chain applies
/// (environment, profile, instance role).
/// </summary>
public abstract class RepositoryCmdlet : PsBackupCmdlet
{
    /// <summary>A directory or s3://bucket/prefix. Default: $env:PSBACKUP_REPOSITORY, else the user's local data directory.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Repository { get; set; }

    /// <summary>An S3-compatible endpoint URL (MinIO …); default $env:PSBACKUP_S3_ENDPOINT, else AWS.</summary>
    [Parameter]
    public string? S3Endpoint { get; set; }

    /// <summary>The S3 region; default $env:AWS_REGION, else us-east-1.</summary>
    [Parameter]
    public string? S3Region { get; set; }

    /// <summary>Access key id as user name, secret access key as password.</summary>
    [Parameter]
    [Credential]
    public PSCredential? S3Credential { get; set; }

    /// <summary>The repository as the engine addresses it: a local full path or a URI, with the S3 settings given.</summary>
    internal RepositoryAddress Address()
    {
        var location = string.IsNullOrEmpty(Repository) || Repository.Contains("://", StringComparison.Ordinal) ? Repository : ResolvePath(Repository);
        if (S3Endpoint == null && S3Region == null && S3Credential == null)
            return new RepositoryAddress(location);
        var options = S3StoreOptions.FromEnvironment();
        return new RepositoryAddress(location, options with
        {
            Endpoint = S3Endpoint ?? options.Endpoint,
            Region = S3Region ?? options.Region,
            AccessKey = S3Credential?.UserName,
            SecretKey = S3Credential?.GetNetworkCredential().Password,
        });
    }
}
