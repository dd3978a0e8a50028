using System.Management.Automation;
using PsBackup.Engine.Operations;
using PsBackup.Infrastructure;

namespace PsBackup.Commands;

/// <summary>
/// <para type="synopsis">Re-reads every artifact of a backup and of its chain and verifies its SHA-256, one result per artifact; for PostgreSQL cluster targets also the archived WAL the backup needs, one result per stretch of WAL files.</para>
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "Backup")]
[OutputType(typeof(ArtifactVerification))]
public sealed class TestBackupCommand : BackupIdCmdlet
{
    protected override void ProcessRecord()
    {
        var request = new VerifyRequest(Id) { Repository = Address(), Collection = Collection, Passphrase = PlainText(EncryptionPassphrase) };
        RunEngine(Id, async (engine, bridge, ct) =>
        {
            await foreach (var finding in engine.TestBackupAsync(request, bridge, ct))
                bridge.Output(finding);
        });
    }
}
