using System.Management.Automation;
using System.Security;
using PsBackup.Engine.Operations;
using PsBackup.Infrastructure;

namespace PsBackup.Commands;

/// <summary>
/// <para type="synopsis">Creates a backup collection: a named set of targets backed up together into a repository.</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "BackupCollection", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(BackupCollectionInfo))]
public sealed class NewBackupCollectionCommand : RepositoryCmdlet
{
    private readonly List<BackupTarget> _targets = [];

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>Targets from New-BackupTarget; accepts pipeline input and collects all of it.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true)]
    public BackupTarget[] Target { get; set; } = [];

    [Parameter]
    public SwitchParameter IncrementalBackupEnabled { get; set; }

    [Parameter]
    public CompressionKind Compression { get; set; } = CompressionKind.Brotli;

    /// <summary>Encrypts every artifact with AES-256-GCM under a key this passphrase unlocks.</summary>
    [Parameter]
    public SecureString? EncryptionPassphrase { get; set; }

    /// <summary>Returns the existing collection instead of failing when the name is taken.</summary>
    [Parameter]
    public SwitchParameter IfNotExists { get; set; }

    protected override void ProcessRecord() => _targets.AddRange(Target);

    protected override void EndProcessing()
    {
        if (!ShouldProcess(Name, "Create backup collection")) return;
        var request = new NewCollectionRequest(Name, _targets)
        {
            Repository = Address(),
            IncrementalBackupEnabled = IncrementalBackupEnabled,
            Compression = Compression,
            Passphrase = PlainText(EncryptionPassphrase),
            IfNotExists = IfNotExists,
        };
        RunEngine(Name, async (engine, bridge, ct) => bridge.Output(await engine.NewCollectionAsync(request, ct)));
    }
}
