using System.Net;
using Newtonsoft.Json.Linq;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers.Capabilities;

namespace PsBackup.Engine.Providers.Files;

/// <summary>
/// File trees, on 64-bit Linux, by name bytes (Native/). A backup writes "pack-N" artifacts (the
/// bytes of the files it read, end to end, holes left out, spread over one pack per core) and an
/// "index" (every path of the tree with its metadata — owners, xattrs, hard links, holes — and
/// for each file the backup, pack and offset holding its bytes). An incremental reads only files
/// whose content changed since its base (<see cref="ChangeDetection"/>) and points at the base's
/// bytes for the rest, so its index alone describes the whole tree of its moment. Backups
/// (<see cref="TreeBackup"/>) and restores (<see cref="TreeRestorer"/>) stream the index in path
/// order: memory does not grow with the number of files.
/// </summary>
public sealed class FileTreeProvider : EngineKind<FileTreeTarget>, IIncrementalBackup, IHealthProbe, IRestoreDrill
{
    internal const string PackPrefix = "pack-";
    internal const string IndexArtifact = "index";

    public override Type RestoreOptionsType => typeof(FileRestoreOptions);

    public override IReadOnlyList<string> RequiredArtifacts(BackupType type) => [IndexArtifact];

    /// <summary>-Destination is the directory the tree is restored into.</summary>
    public override bool IsPathDestination(string destination) => true;

    protected override void ValidateTarget(FileTreeTarget target)
    {
        if (!Path.IsPathFullyQualified(target.Path))
            throw new InvalidBackupRequestException("RelativeTargetPath", $"Target '{target.Name}': path '{target.Path}' must be absolute.");
    }

    public Task ProbeAsync(BackupTarget target, NetworkCredential? credential, CancellationToken ct)
    {
        var root = ((FileTreeTarget)target).Path;
        if (!OperatingSystem.IsLinux() || !Environment.Is64BitProcess)
            throw new TargetUnavailableException($"Target '{target.Name}': file-tree targets need 64-bit Linux (names, owners, hard links, holes and xattrs are read with its system calls).") { TargetObject = root };
        if (!Directory.Exists(root))
            throw new TargetUnavailableException($"Target '{target.Name}': directory '{root}' does not exist.") { TargetObject = root };
        using var _ = Directory.EnumerateFileSystemEntries(root).GetEnumerator(); // throws when unreadable
        return Task.CompletedTask;
    }

    public override async Task<JObject> BackupAsync(TargetBackupContext context, CancellationToken ct)
    {
        var target = (FileTreeTarget)context.Target;
        await ProbeAsync(target, null, ct).ConfigureAwait(false);
        return await new TreeBackup(context, target).RunAsync(ct).ConfigureAwait(false);
    }

    public override Task<RestoreResult> RestoreAsync(TargetRestoreContext context, CancellationToken ct) =>
        new TreeRestorer(context).RunAsync(ct);

    public Task<DrillScratch> CreateScratchAsync(BackupTarget target, DrillSettings settings, CancellationToken ct) => FileTreeDrill.CreateAsync(target, settings);

    public Task<IReadOnlyList<DrillCheck>> VerifyAsync(TargetRestoreContext restored, DrillScratch scratch, CancellationToken ct) => FileTreeDrill.VerifyAsync(restored, scratch, ct);

    public string DescribeScratch(BackupTarget target, DrillSettings settings) => FileTreeDrill.Describe(target, settings);
}
