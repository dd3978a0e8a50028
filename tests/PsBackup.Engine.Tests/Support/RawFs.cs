using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace PsBackup.Engine.Tests.Support;

/// <summary>
/// libc by name bytes for tests (64-bit Linux), on its own so the tests do not check the engine
/// with the engine's code: paths are byte arrays without the trailing NUL. Every call throws
/// IOException with the errno when it fails.
/// </summary>
public static unsafe partial class RawFs
{
    public const int SeekData = 3, SeekHole = 4;
    private const int AtFdCwd = -100, AtSymlinkNoFollow = 0x100, AtEmptyPath = 0x1000;

    public static byte[] B(string utf8) => Encoding.UTF8.GetBytes(utf8);

    /// <summary>dir + "/" + name.</summary>
    public static byte[] Join(byte[] directory, byte[] name) => [.. directory, (byte)'/', .. name];

    public static byte[] Join(string directory, byte[] name) => Join(B(directory), name);

    /// <summary>Readable and unambiguous: printable ASCII as is, everything else (and '\') as \xHH.</summary>
    public static string Escape(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length);
        foreach (var b in bytes)
            text.Append(b is >= 0x20 and < 0x7F and not (byte)'\\' ? ((char)b).ToString() : $"\\x{b:X2}");
        return text.ToString();
    }

    public static void MkDir(byte[] path, uint mode = 0x1ED)
    {
        fixed (byte* p = C(path)) Check(mkdir(p, mode), "mkdir", path);
    }

    public static void WriteFile(byte[] path, byte[] content, uint mode = 0x1A4)
    {
        using var handle = Open(path, 0x1 | 0x40 | 0x200, mode); // O_WRONLY | O_CREAT | O_TRUNC
        RandomAccess.Write(handle, content, 0);
        Chmod(path, mode);
    }

    /// <summary>A file of <paramref name="size"/> bytes that is all holes but for the given pieces of data.</summary>
    public static void WriteSparse(byte[] path, long size, params (long Offset, byte[] Data)[] data)
    {
        using var handle = Open(path, 0x1 | 0x40 | 0x200, 0x1A4);
        RandomAccess.SetLength(handle, size);
        foreach (var (offset, bytes) in data) RandomAccess.Write(handle, bytes, offset);
    }

    /// <summary>
    /// A file of <paramref name="size"/> allocated but unwritten bytes (fallocate): it reads as
    /// zeros at memory speed, yet has no holes, so a backup reads all of it (tests that need a
    /// backup to run for a while use one).
    /// </summary>
    public static void Preallocate(string path, long size)
    {
        using var handle = Open(B(path), 0x1 | 0x40 | 0x200, 0x1A4);
        if (fallocate((int)handle.DangerousGetHandle(), 0, 0, size) != 0)
            throw new IOException($"fallocate '{path}': {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
    }

    public static SafeFileHandle Open(byte[] path, int flags, uint mode = 0)
    {
        int fd;
        fixed (byte* p = C(path)) fd = open(p, flags | 0x80000, mode); // O_CLOEXEC
        Check(fd < 0 ? -1 : 0, "open", path);
        return new SafeFileHandle((IntPtr)fd, ownsHandle: true);
    }

    public static void Symlink(byte[] target, byte[] path)
    {
        fixed (byte* t = C(target))
        fixed (byte* p = C(path))
            Check(symlink(t, p), "symlink", path);
    }

    public static void Link(byte[] existing, byte[] path)
    {
        fixed (byte* e = C(existing))
        fixed (byte* p = C(path))
            Check(link(e, p), "link", path);
    }

    public static void Unlink(byte[] path)
    {
        fixed (byte* p = C(path)) Check(unlink(p), "unlink", path);
    }

    public static void Chown(byte[] path, uint uid, uint gid)
    {
        fixed (byte* p = C(path)) Check(fchownat(AtFdCwd, p, uid, gid, AtSymlinkNoFollow), "chown", path);
    }

    public static void Chmod(byte[] path, uint mode)
    {
        fixed (byte* p = C(path)) Check(chmod(p, mode), "chmod", path);
    }

    public static void SetXattr(byte[] path, string name, byte[] value)
    {
        fixed (byte* p = C(path))
        fixed (byte* n = C(B(name)))
        fixed (byte* v = value)
            Check(lsetxattr(p, n, v, value.Length, 0), "setxattr " + name, path);
    }

    /// <summary>Sets the path's own mtime (a symlink's too).</summary>
    public static void SetMtime(byte[] path, long seconds, long nanoseconds)
    {
        var times = stackalloc long[4] { 0, (1L << 30) - 2, seconds, nanoseconds }; // atime UTIME_OMIT
        fixed (byte* p = C(path)) Check(utimensat(AtFdCwd, p, times, AtSymlinkNoFollow), "utimensat", path);
    }

    public readonly record struct Stat(uint Mode, uint Uid, uint Gid, uint Nlink, ulong Ino, ulong Dev, long Size, long Blocks, long MtimeSec, uint MtimeNsec, uint BlockSize)
    {
        public uint Type => Mode & 0xF000;
        public bool IsDir => Type == 0x4000;
        public bool IsFile => Type == 0x8000;
        public bool IsLink => Type == 0xA000;
    }

    public static Stat LStat(byte[] path) => TryLStat(path) ?? throw new IOException($"lstat {Escape(path)}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");

    public static Stat? TryLStat(byte[] path)
    {
        var buffer = stackalloc byte[256];
        fixed (byte* p = C(path))
            if (statx(AtFdCwd, p, AtSymlinkNoFollow, 0x7FF, buffer) != 0) return null;
        return Parse(new ReadOnlySpan<byte>(buffer, 256));
    }

    private static Stat Parse(ReadOnlySpan<byte> s) => new(
        BinaryPrimitives.ReadUInt16LittleEndian(s[28..]), BinaryPrimitives.ReadUInt32LittleEndian(s[20..]), BinaryPrimitives.ReadUInt32LittleEndian(s[24..]),
        BinaryPrimitives.ReadUInt32LittleEndian(s[16..]), BinaryPrimitives.ReadUInt64LittleEndian(s[32..]),
        ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(s[136..]) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(s[140..]),
        BinaryPrimitives.ReadInt64LittleEndian(s[40..]), BinaryPrimitives.ReadInt64LittleEndian(s[48..]),
        BinaryPrimitives.ReadInt64LittleEndian(s[112..]), BinaryPrimitives.ReadUInt32LittleEndian(s[120..]), BinaryPrimitives.ReadUInt32LittleEndian(s[4..]));

    /// <summary>The names in a directory, without "." and "..".</summary>
    public static List<byte[]> List(byte[] directory)
    {
        IntPtr dir;
        fixed (byte* p = C(directory)) dir = opendir(p);
        Check(dir == IntPtr.Zero ? -1 : 0, "opendir", directory);
        try
        {
            var names = new List<byte[]>();
            for (var entry = readdir(dir); entry != null; entry = readdir(dir))
            {
                var name = new ReadOnlySpan<byte>(entry + 19, 256);
                name = name[..name.IndexOf((byte)0)];
                if (!name.SequenceEqual("."u8) && !name.SequenceEqual(".."u8)) names.Add(name.ToArray());
            }
            return names;
        }
        finally
        {
            closedir(dir);
        }
    }

    public static byte[] ReadLink(byte[] path)
    {
        var buffer = new byte[65536];
        nint n;
        fixed (byte* p = C(path))
        fixed (byte* b = buffer)
            n = readlink(p, b, buffer.Length);
        Check(n < 0 ? -1 : 0, "readlink", path);
        return buffer[..(int)n];
    }

    /// <summary>Every xattr of the path (all namespaces this process may see), by name.</summary>
    public static SortedDictionary<string, byte[]> Xattrs(byte[] path)
    {
        var result = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        var list = new byte[65536];
        nint n;
        fixed (byte* p = C(path))
        fixed (byte* l = list)
            n = llistxattr(p, l, list.Length);
        if (n < 0 && Marshal.GetLastPInvokeError() == 95) return result; // ENOTSUP
        Check(n < 0 ? -1 : 0, "listxattr", path);
        foreach (var name in list.AsSpan(0, (int)n).ToArray().Split(0))
        {
            var value = new byte[65536];
            nint size;
            fixed (byte* p = C(path))
            fixed (byte* nm = C(name))
            fixed (byte* v = value)
                size = lgetxattr(p, nm, v, value.Length);
            Check(size < 0 ? -1 : 0, "getxattr " + Escape(name), path);
            result[Encoding.UTF8.GetString(name)] = value[..(int)size];
        }
        return result;
    }

    public static long Seek(SafeFileHandle file, long offset, int whence) => lseek((int)file.DangerousGetHandle(), offset, whence);

    private static IEnumerable<byte[]> Split(this byte[] list, byte separator)
    {
        var start = 0;
        for (var i = 0; i < list.Length; i++)
        {
            if (list[i] != separator) continue;
            if (i > start) yield return list[start..i];
            start = i + 1;
        }
    }

    private static byte[] C(byte[] path) => [.. path, 0];

    private static void Check(int rc, string what, byte[] path)
    {
        if (rc != 0) throw new IOException($"{what} '{Escape(path)}': {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
    }

    [LibraryImport("libc", SetLastError = true)] private static partial int open(byte* path, int flags, uint mode);
    [LibraryImport("libc", SetLastError = true)] private static partial int mkdir(byte* path, uint mode);
    [LibraryImport("libc", SetLastError = true)] private static partial int symlink(byte* target, byte* path);
    [LibraryImport("libc", SetLastError = true)] private static partial int link(byte* existing, byte* path);
    [LibraryImport("libc", SetLastError = true)] private static partial int unlink(byte* path);
    [LibraryImport("libc", SetLastError = true)] private static partial int fchownat(int dirfd, byte* path, uint uid, uint gid, int flags);
    [LibraryImport("libc", SetLastError = true)] private static partial int chmod(byte* path, uint mode);
    [LibraryImport("libc", SetLastError = true)] private static partial int lsetxattr(byte* path, byte* name, byte* value, nint size, int flags);
    [LibraryImport("libc", SetLastError = true)] private static partial nint llistxattr(byte* path, byte* list, nint size);
    [LibraryImport("libc", SetLastError = true)] private static partial nint lgetxattr(byte* path, byte* name, byte* value, nint size);
    [LibraryImport("libc", SetLastError = true)] private static partial int utimensat(int dirfd, byte* path, long* times, int flags);
    [LibraryImport("libc", SetLastError = true)] private static partial int statx(int dirfd, byte* path, int flags, uint mask, byte* buffer);
    [LibraryImport("libc", SetLastError = true)] private static partial IntPtr opendir(byte* path);
    [LibraryImport("libc", SetLastError = true)] private static partial byte* readdir(IntPtr dir);
    [LibraryImport("libc", SetLastError = true)] private static partial int closedir(IntPtr dir);
    [LibraryImport("libc", SetLastError = true)] private static partial nint readlink(byte* path, byte* buffer, nint size);
    [LibraryImport("libc", SetLastError = true)] private static partial long lseek(int fd, long offset, int whence);
    [LibraryImport("libc", SetLastError = true)] private static partial int fallocate(int fd, int mode, long offset, long length);
}
