using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers.Capabilities;
using PsBackup.Engine.Providers.Files.Native;

namespace PsBackup.Engine.Providers.Files;

/// <summary>
/// Restore drills of file trees: the tree is restored into a fresh folder under the system's
/// temporary directory ($TMPDIR, else /tmp), read back independently of the restore
/// (<see cref="TreeComparison"/>), and removed.
/// </summary>
internal static class FileTreeDrill
{
    public static string Describe(BackupTarget target, DrillSettings settings) =>
        $"a new folder under {Path.GetTempPath().TrimEnd('/')} (removed afterwards{(settings.KeepRestored ? "; kept with -KeepRestored" : "")})";

    public static Task<DrillScratch> CreateAsync(BackupTarget target, DrillSettings settings)
    {
        if (!OperatingSystem.IsLinux() || !Environment.Is64BitProcess)
            throw new DrillPrerequisiteMissingException($"Target '{target.Name}': file-tree drills need 64-bit Linux, as file-tree restores do.");
        var root = Path.Combine(Path.GetTempPath(), $"psbackup-drill-{settings.DrillId}-{Guid.NewGuid().ToString("N")[..6]}");
        Directory.CreateDirectory(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return Task.FromResult<DrillScratch>(new FolderScratch(root, Path.Combine(root, target.Name), settings.KeepRestored));
    }

    public static Task<IReadOnlyList<DrillCheck>> VerifyAsync(TargetRestoreContext restored, DrillScratch scratch, CancellationToken ct) =>
        new TreeComparison(restored, scratch.Destination).RunAsync(ct);

    /// <summary>A private folder (0700) holding the restored tree; removed whole, names as bytes.</summary>
    private sealed class FolderScratch(string root, string destination, bool keep) : DrillScratch
    {
        public override string Destination => destination;

        public override ValueTask DisposeAsync()
        {
            if (!keep) NativeTree.Delete(FsName.ToBytes(root));
            return ValueTask.CompletedTask;
        }
    }
}
