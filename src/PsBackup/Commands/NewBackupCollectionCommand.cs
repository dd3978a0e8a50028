using System.Management.Automation;
using System.Security;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Storage;
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
    public CompressionKind Compression { get; set; } = CompressionKind.Zstd;

    /// <summary>Encrypts every artifact with AES-256-GCM under a key this passphrase unlocks.</summary>
    [Parameter]
    public SecureString? EncryptionPassphrase { get; set; }

    /// <summary>S3 storage class of data objects (manifests and locks stay STANDARD).</summary>
    [Parameter]
    [ValidateSet("STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE", "REDUCED_REDUNDANCY")]
    public string? StorageClass { get; set; }

    /// <summary>S3 server-side encryption of data objects: AES256 (SSE-S3) or aws:kms (SSE-KMS).</summary>
    [Parameter]
    [ValidateSet("AES256", "aws:kms")]
    public string? ServerSideEncryption { get; set; }

    /// <summary>The KMS key for -ServerSideEncryption aws:kms; default: the account's S3 key.</summary>
    [Parameter]
    public string? KmsKeyId { get; set; }

    /// <summary>Tags put on every data object (at most 9; PsBackup adds psbackup:object), e.g. @{ app = 'billing' }.</summary>
    [Parameter]
    public System.Collections.Hashtable? Tag { get; set; }

    /// <summary>The retention policy Invoke-RetentionPolicy applies to this collection by default.</summary>
    [Parameter]
    public RetentionPolicy? RetentionPolicy { get; set; }

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
            RetentionPolicy = RetentionPolicy,
            Storage = StorageClass == null && ServerSideEncryption == null && KmsKeyId == null && Tag == null ? null : new ObjectWriteSettings
            {
                StorageClass = StorageClass,
                ServerSideEncryption = ServerSideEncryption,
                KmsKeyId = KmsKeyId,
                Tags = Tag?.Cast<System.Collections.DictionaryEntry>().ToDictionary(e => e.Key.ToString()!, e => e.Value?.ToString() ?? ""),
            },
        };
        RunEngine(Name, async (engine, bridge, ct) => bridge.Output(await engine.NewCollectionAsync(request, ct)));
    }
}
