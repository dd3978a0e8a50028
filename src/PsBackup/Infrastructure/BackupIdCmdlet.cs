using System.Management.Automation;
using System.Security;

namespace PsBackup.Infrastructure;

/// <summary>Base of the cmdlets that read one committed backup (Restore-Backup, Test-Backup): its address plus the passphrase.</summary>
public abstract class BackupIdCmdlet : BackupAddressCmdlet
{
    /// <summary>Unlocks an encrypted collection; $env:PSBACKUP_PASSPHRASE is used when omitted.</summary>
    [Parameter]
    public SecureString? EncryptionPassphrase { get; set; }
}
