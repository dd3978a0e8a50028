using System.Runtime.InteropServices;

namespace PsBackup.Engine.Providers.Files.Native;

/// <summary>
/// The libc calls file trees need to handle names as bytes and the metadata .NET does not
/// expose (owners, hard links, holes, xattrs). Declared for 64-bit Linux (x64, arm64), whose
/// struct layouts (dirent64, statx, timespec) are the same on both; paths are NUL-terminated
/// byte strings (see <see cref="FsName"/>). Every call sets errno, read with
/// <see cref="Marshal.GetLastPInvokeError"/>.
/// </summary>
internal static unsafe partial class LibC
{
    private const string Lib = "libc";

    public const int AtFdCwd = -100;
    public const int AtSymlinkNoFollow = 0x100;
    public const int AtEmptyPath = 0x1000;

    public const int ORdOnly = 0, OWrOnly = 1;
    public const int OCreat = 0x40, OExcl = 0x80, ONonBlock = 0x800, OCloExec = 0x80000;

    /// <summary>The only open flags whose values differ between x64 and arm64.</summary>
    public static readonly int ONoFollow = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x8000 : 0x20000;

    public const int SeekData = 3, SeekHole = 4;
    public const int FadvSequential = 2;

    public const int EPERM = 1, ENOENT = 2, EINTR = 4, ENXIO = 6, E2BIG = 7, EACCES = 13, EEXIST = 17, EXDEV = 18,
        ENOTDIR = 20, EISDIR = 21, EINVAL = 22, ENOSPC = 28, EMLINK = 31, ERANGE = 34, ENAMETOOLONG = 36,
        ELOOP = 40, ENODATA = 61, EOPNOTSUPP = 95;

    /// <summary>utimensat: leave this time as it is.</summary>
    public const long UtimeOmit = (1L << 30) - 2;

    [StructLayout(LayoutKind.Sequential)]
    public struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true)]
    public static partial int Open(byte* path, int flags, uint mode);

    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(Lib, EntryPoint = "opendir", SetLastError = true)]
    public static partial IntPtr OpenDir(byte* path);

    /// <summary>struct dirent64*: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name (NUL-terminated) at 19.</summary>
    [LibraryImport(Lib, EntryPoint = "readdir", SetLastError = true)]
    public static partial byte* ReadDir(IntPtr dir);

    [LibraryImport(Lib, EntryPoint = "closedir", SetLastError = true)]
    public static partial int CloseDir(IntPtr dir);

    [LibraryImport(Lib, EntryPoint = "dirfd", SetLastError = true)]
    public static partial int DirFd(IntPtr dir);

    [LibraryImport(Lib, EntryPoint = "statx", SetLastError = true)]
    public static partial int Statx(int dirfd, byte* path, int flags, uint mask, byte* statx);

    [LibraryImport(Lib, EntryPoint = "readlinkat", SetLastError = true)]
    public static partial nint ReadLinkAt(int dirfd, byte* path, byte* buffer, nint size);

    [LibraryImport(Lib, EntryPoint = "mkdir", SetLastError = true)]
    public static partial int MkDir(byte* path, uint mode);

    [LibraryImport(Lib, EntryPoint = "symlink", SetLastError = true)]
    public static partial int Symlink(byte* target, byte* path);

    [LibraryImport(Lib, EntryPoint = "link", SetLastError = true)]
    public static partial int Link(byte* existing, byte* path);

    [LibraryImport(Lib, EntryPoint = "unlink", SetLastError = true)]
    public static partial int Unlink(byte* path);

    [LibraryImport(Lib, EntryPoint = "rmdir", SetLastError = true)]
    public static partial int RmDir(byte* path);

    [LibraryImport(Lib, EntryPoint = "rename", SetLastError = true)]
    public static partial int Rename(byte* from, byte* to);

    [LibraryImport(Lib, EntryPoint = "fchownat", SetLastError = true)]
    public static partial int FChownAt(int dirfd, byte* path, uint uid, uint gid, int flags);

    [LibraryImport(Lib, EntryPoint = "chmod", SetLastError = true)]
    public static partial int Chmod(byte* path, uint mode);

    [LibraryImport(Lib, EntryPoint = "utimensat", SetLastError = true)]
    public static partial int UtimensAt(int dirfd, byte* path, Timespec* times, int flags);

    [LibraryImport(Lib, EntryPoint = "lseek", SetLastError = true)]
    public static partial long LSeek(int fd, long offset, int whence);

    [LibraryImport(Lib, EntryPoint = "ftruncate", SetLastError = true)]
    public static partial int FTruncate(int fd, long length);

    [LibraryImport(Lib, EntryPoint = "posix_fadvise", SetLastError = true)]
    public static partial int PosixFadvise(int fd, long offset, long length, int advice);

    [LibraryImport(Lib, EntryPoint = "llistxattr", SetLastError = true)]
    public static partial nint LListXattr(byte* path, byte* list, nint size);

    [LibraryImport(Lib, EntryPoint = "lgetxattr", SetLastError = true)]
    public static partial nint LGetXattr(byte* path, byte* name, byte* value, nint size);

    [LibraryImport(Lib, EntryPoint = "lsetxattr", SetLastError = true)]
    public static partial int LSetXattr(byte* path, byte* name, byte* value, nint size, int flags);

    [LibraryImport(Lib, EntryPoint = "getpwuid_r")]
    public static partial int GetPwUid(uint uid, byte* pwd, byte* buffer, nint size, IntPtr* result);

    [LibraryImport(Lib, EntryPoint = "getgrgid_r")]
    public static partial int GetGrGid(uint gid, byte* grp, byte* buffer, nint size, IntPtr* result);

    [LibraryImport(Lib, EntryPoint = "getpwnam_r")]
    public static partial int GetPwNam(byte* name, byte* pwd, byte* buffer, nint size, IntPtr* result);

    [LibraryImport(Lib, EntryPoint = "getgrnam_r")]
    public static partial int GetGrNam(byte* name, byte* grp, byte* buffer, nint size, IntPtr* result);

    [LibraryImport(Lib, EntryPoint = "geteuid")]
    public static partial uint GetEUid();

    [LibraryImport(Lib, EntryPoint = "getegid")]
    public static partial uint GetEGid();

    public static int Errno => Marshal.GetLastPInvokeError();
}
