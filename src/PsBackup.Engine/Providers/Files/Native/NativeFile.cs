using Microsoft.Win32.SafeHandles;

namespace PsBackup.Engine.Providers.Files.Native;

/// <summary>Opening files by name bytes, and their data extents (SEEK_DATA/SEEK_HOLE).</summary>
internal static unsafe class NativeFile
{
    /// <summary>
    /// Opens a file for reading without following a final symlink and without blocking (should a
    /// FIFO have taken its place). Null with the errno when it cannot be opened.
    /// </summary>
    public static SafeFileHandle? TryOpenRead(byte[] cPath, out int errno)
    {
        int fd;
        fixed (byte* p = cPath)
            fd = LibC.Open(p, LibC.ORdOnly | LibC.ONoFollow | LibC.ONonBlock | LibC.OCloExec, 0);
        errno = fd < 0 ? LibC.Errno : 0;
        if (fd < 0) return null;
        LibC.PosixFadvise(fd, 0, 0, LibC.FadvSequential);
        return new SafeFileHandle((IntPtr)fd, ownsHandle: true);
    }

    /// <summary>Creates a new file (never an existing one, never through a symlink), writable, mode 0600 until its metadata is applied.</summary>
    public static SafeFileHandle Create(byte[] cPath, string displayPath)
    {
        int fd;
        fixed (byte* p = cPath)
            fd = LibC.Open(p, LibC.OWrOnly | LibC.OCreat | LibC.OExcl | LibC.ONoFollow | LibC.OCloExec, Convert.ToUInt32("600", 8));
        if (fd < 0) throw NativeError.Of("create", displayPath, LibC.Errno);
        return new SafeFileHandle((IntPtr)fd, ownsHandle: true);
    }

    public static int Descriptor(SafeFileHandle handle) => (int)handle.DangerousGetHandle();

    /// <summary>
    /// The data extents (offset, length) of the first <paramref name="size"/> bytes, in order:
    /// what is not in one is a hole. A file system without SEEK_HOLE reports one extent, the
    /// whole file (holes read as zeros and are stored).
    /// </summary>
    public static List<(long Offset, long Length)> DataExtents(SafeFileHandle handle, long size, string displayPath)
    {
        var fd = Descriptor(handle);
        var extents = new List<(long, long)>();
        long position = 0;
        while (position < size)
        {
            var data = LibC.LSeek(fd, position, LibC.SeekData);
            if (data < 0)
            {
                var errno = LibC.Errno;
                if (errno == LibC.ENXIO) break; // only a hole up to the end
                if (errno == LibC.EINVAL) return [(0, size)]; // SEEK_DATA unsupported
                throw NativeError.Of("seek data in", displayPath, errno);
            }
            if (data >= size) break;
            var hole = LibC.LSeek(fd, data, LibC.SeekHole);
            if (hole < 0) throw NativeError.Of("seek hole in", displayPath, LibC.Errno);
            hole = Math.Min(hole, size);
            extents.Add((data, hole - data));
            position = hole;
        }
        return extents;
    }

    /// <summary>Copies a file's bytes to a new file, keeping its holes.</summary>
    public static void Copy(byte[] cFrom, byte[] cTo, string displayPath)
    {
        using var source = TryOpenRead(cFrom, out var errno) ?? throw NativeError.Of("open", displayPath, errno);
        var status = FileStatus.Of(Descriptor(source), displayPath);
        using var target = Create(cTo, displayPath);
        var buffer = new byte[1 << 17];
        foreach (var (offset, length) in status.MayBeSparse ? DataExtents(source, status.Size, displayPath) : [(0, status.Size)])
        {
            for (long done = 0; done < length;)
            {
                var n = RandomAccess.Read(source, buffer.AsSpan(0, (int)Math.Min(buffer.Length, length - done)), offset + done);
                if (n == 0) break;
                RandomAccess.Write(target, buffer.AsSpan(0, n), offset + done);
                done += n;
            }
        }
        RandomAccess.SetLength(target, status.Size);
    }
}
