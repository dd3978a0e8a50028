using System.Management.Automation;
using System.Security;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Operations;
using PsBackup.Completers;
using PsBackup.Infrastructure;

namespace PsBackup.Commands;

/// <summary>
/// <para type="synopsis">Copies backups of a collection (one with its chain, or all) and the archived WAL they need to another repository, only what is missing, verifying each artifact and WAL file at the destination.</para>
/// </summary>
[Cmdlet(VerbsCommon.Copy, "Backup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(CopyResult))]
public sealed class CopyBackupCommand : RepositoryCmdlet
{
    /// <summary>The collection to copy from; binds from Get-Backup's and Get-BackupCollection's objects.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(CollectionNameCompleter))]
    public string Collection { get; set; } = "";

    /// <summary>One backup, copied with its whole chain; omitted: every committed backup of the collection.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("BackupId")]
    [ArgumentCompleter(typeof(BackupIdCompleter))]
    public string? Id { get; set; }

    /// <summary>The repository to copy into (a directory or s3://bucket/prefix); created when absent.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    public string DestinationRepository { get; set; } = "";

    [Parameter]
    public string? DestinationS3Endpoint { get; set; }

    [Parameter]
    public string? DestinationS3Region { get; set; }

    [Parameter]
    [Credential]
    public PSCredential? DestinationS3Credential { get; set; }

    /// <summary>Optional: with it, the plaintext of every copied artifact of an encrypted collection is verified too.</summary>
    [Parameter]
    public SecureString? EncryptionPassphrase { get; set; }

    /// <summary>PostgreSQL cluster targets: copy the whole archived WAL, not only what the copied backups need.</summary>
    [Parameter]
    [Alias("AllWal")]
    public SwitchParameter AllArchivedLog { get; set; }

    /// <summary>Copy only the archived WAL the destination lacks, no backups: run it every few minutes to keep a disaster-recovery copy's WAL current.</summary>
    [Parameter]
    [Alias("WalOnly")]
    public SwitchParameter ArchivedLogOnly { get; set; }

    protected override void ProcessRecord()
    {
        var destination = Address(this, DestinationRepository, DestinationS3Endpoint, DestinationS3Region, DestinationS3Credential);
        var what = ArchivedLogOnly ? $"The archived WAL of collection '{Collection}'"
            : (Id == null ? $"All backups of collection '{Collection}'" : $"Backup '{Id}' of collection '{Collection}' with its chain")
              + (AllArchivedLog ? " and all its archived WAL" : "");
        if (!ShouldProcess(what, $"Copy to repository '{destination}'")) return;
        var request = new CopyRequest(Collection, destination)
        {
            Source = Address(),
            Id = string.IsNullOrEmpty(Id) ? null : Id,
            Passphrase = PlainText(EncryptionPassphrase),
            AllArchivedLog = AllArchivedLog,
            ArchivedLogOnly = ArchivedLogOnly,
        };
        RunEngine(Id ?? Collection, async (engine, bridge, ct) =>
        {
            await foreach (var outcome in engine.CopyBackupAsync(request, bridge, ct))
            {
                if (outcome.Error != null)
                    bridge.Error(ErrorMapping.ToRecord(outcome.Error, outcome.Result.LogRange ?? outcome.Result.BackupId));
                bridge.Output(outcome.Result);
            }
        });
    }
}
