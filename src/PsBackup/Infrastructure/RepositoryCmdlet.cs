using System.Management.Automation;
using PsBackup.Engine;

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
    internal RepositoryAddress Address() => Address(this, Repository, S3Endpoint, S3Region, S3Credential);

    /// <summary>
    /// Any repository parameter set (-Repository/-S3*, or Copy-Backup's -Destination*) as an address:
    /// local paths resolved against the current location, URIs as typed, S3 settings over the environment's.
    /// </summary>
    internal static RepositoryAddress Address(PsBackupCmdlet cmdlet, string? repository, string? s3Endpoint, string? s3Region, PSCredential? s3Credential)
    {
        var location = string.IsNullOrEmpty(repository) || repository.Contains("://", StringComparison.Ordinal) ? repository : cmdlet.ResolvePath(repository);
        return RepositoryAddress.Create(location, s3Endpoint, s3Region, s3Credential?.UserName, s3Credential?.GetNetworkCredential().Password);
    }
}
