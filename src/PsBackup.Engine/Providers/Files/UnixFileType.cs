using System.Runtime.InteropServices;

namespace PsBackup.Engine.Providers.Files;

/// <summary>
/// Tells regular files from FIFOs, sockets and devices, which .NET reports alike (opening a FIFO
/// would block forever). Uses Linux statx, whose struct layout is the same on every architecture;
/// elsewhere every non-directory, non-link entry counts as a regular file.
/// </summary>
internal static partial class UnixFileType
{
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const int AtFdCwd = -100;
    private const int ModeOffset = 28;
    private const ushort TypeMask = 0xF000, Regular = 0x8000;
    private static bool _unavailable = !OperatingSystem.IsLinux();

    public static bool IsRegularFile(string path)
    {
        if (_unavailable) return true;
        Span<byte> buffer = stackalloc byte[256];
        try
        {
            if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType, ref MemoryMarshal.GetReference(buffer)) != 0)
                return true; // let the open report the real problem (vanished, permission)
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            _unavailable = true;
            return true;
        }
        return (BitConverter.ToUInt16(buffer[ModeOffset..]) & TypeMask) == Regular;
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, ref byte statx);
}
