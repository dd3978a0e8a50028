using System.Management.Automation;
using System.Security;

namespace PsBackup.Infrastructure;

/// <summary>
/// Base of the cmdlets that act on one committed backup (Restore-Backup, Test-Backup): the
/// parameters that address it bind by property name from Get-Backup's objects.
/// </summary>
public abstract class BackupIdCmdlet : RepositoryCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("BackupId")]
    public string Id { get; set; } = "";

    /// <summary>The backup's collection; found from the id when omitted.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Collection { get; set; }

    /// <summary>Unlocks an encrypted collection; $env:PSBACKUP_PASSPHRASE is used when omitted.</summary>
    [Parameter]
    public SecureString? EncryptionPassphrase { get; set; }
}
