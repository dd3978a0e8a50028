using System.Runtime.InteropServices;
using PsBackup.Engine.Errors;

namespace PsBackup.Infrastructure;

/// <summary>
/// The WAL archiver in the module's archiver/ folder (psbackup-cli, framework-dependent), as a
/// command line: its native launcher where it was built for this platform (Linux x64), else the
/// portable dll through dotnet (which must then be on PostgreSQL's PATH).
/// </summary>
internal static class ShippedArchiver
{
    private const UnixFileMode Execute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    public static string[] Command()
    {
        var folder = Path.Combine(Path.GetDirectoryName(typeof(ShippedArchiver).Assembly.Location)!, "archiver");
        var dll = Path.Combine(folder, "psbackup-cli.dll");
        var launcher = Path.Combine(folder, "psbackup-cli");
        if (!File.Exists(dll))
            throw new InvalidBackupRequestException("ArchiverNotFound",
                $"The archiver is missing from this module ('{dll}'). Reinstall the module, or name the archiver with -Archiver.");
        if (OperatingSystem.IsLinux() && RuntimeInformation.OSArchitecture == Architecture.X64 && File.Exists(launcher) && MakeExecutable(launcher))
            return [launcher];
        return ["dotnet", dll];
    }

    /// <summary>
    /// A gallery package is a zip that keeps no Unix modes, so Install-PSResource leaves the launcher
    /// without its execute bits: set them once (the installing user can). Where this user cannot,
    /// the dll through dotnet works as well.
    /// </summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static bool MakeExecutable(string launcher)
    {
        var mode = File.GetUnixFileMode(launcher);
        if ((mode & Execute) == Execute) return true;
        try
        {
            File.SetUnixFileMode(launcher, mode | Execute);
            return true;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return false;
        }
    }
}
