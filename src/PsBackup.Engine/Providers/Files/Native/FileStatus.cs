using System.Buffers.Binary;

namespace PsBackup.Engine.Providers.Files.Native;

/// <summary>What statx reports about one file (never following a final symlink).</summary>
internal readonly record struct FileStatus(
    uint Mode, uint Uid, uint Gid, uint LinkCount, ulong Inode, ulong Device,
    long Size, long Blocks, PosixTime Mtime, PosixTime Ctime)
{
    private const uint TypeMask = 0xF000, RegularType = 0x8000, DirectoryType = 0x4000, SymlinkType = 0xA000;
    private const uint BasicStats = 0x7FF;

    public bool IsRegular => (Mode & TypeMask) == RegularType;
    public bool IsDirectory => (Mode & TypeMask) == DirectoryType;
    public bool IsSymlink => (Mode & TypeMask) == SymlinkType;

    /// <summary>Permission bits with setuid, setgid and sticky (07777).</summary>
    public uint Permissions => Mode & 0xFFF;

    /// <summary>Fewer bytes allocated than the length: the file may have holes (GNU tar's test).</summary>
    public bool MayBeSparse => Blocks * 512 < Size;

    /// <summary>statx(dirfd, path, AT_SYMLINK_NOFOLLOW); errno on failure.</summary>
    public static unsafe bool TryGet(int dirfd, ReadOnlySpan<byte> cPath, out FileStatus status, out int errno)
    {
        byte* buffer = stackalloc byte[256];
        int rc;
        fixed (byte* path = cPath)
            rc = LibC.Statx(dirfd, path, LibC.AtSymlinkNoFollow, BasicStats, buffer);
        errno = rc == 0 ? 0 : LibC.Errno;
        status = rc == 0 ? Parse(new ReadOnlySpan<byte>(buffer, 256)) : default;
        return rc == 0;
    }

    public static bool TryGet(byte[] cPath, out FileStatus status, out int errno) => TryGet(LibC.AtFdCwd, cPath, out status, out errno);

    /// <summary>fstat of an open descriptor.</summary>
    public static unsafe FileStatus Of(int fd, string displayPath)
    {
        byte* buffer = stackalloc byte[256];
        byte empty = 0;
        if (LibC.Statx(fd, &empty, LibC.AtEmptyPath, BasicStats, buffer) != 0)
            throw NativeError.Of("stat", displayPath, LibC.Errno);
        return Parse(new ReadOnlySpan<byte>(buffer, 256));
    }

    /// <summary>struct statx: the same layout on every Linux architecture.</summary>
    private static FileStatus Parse(ReadOnlySpan<byte> s) => new(
        Mode: BinaryPrimitives.ReadUInt16LittleEndian(s[28..]),
        Uid: BinaryPrimitives.ReadUInt32LittleEndian(s[20..]),
        Gid: BinaryPrimitives.ReadUInt32LittleEndian(s[24..]),
        LinkCount: BinaryPrimitives.ReadUInt32LittleEndian(s[16..]),
        Inode: BinaryPrimitives.ReadUInt64LittleEndian(s[32..]),
        Device: ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(s[136..]) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(s[140..]),
        Size: BinaryPrimitives.ReadInt64LittleEndian(s[40..]),
        Blocks: BinaryPrimitives.ReadInt64LittleEndian(s[48..]),
        Mtime: Time(s[112..]),
        Ctime: Time(s[96..]));

    private static PosixTime Time(ReadOnlySpan<byte> t) =>
        new(BinaryPrimitives.ReadInt64LittleEndian(t), BinaryPrimitives.ReadUInt32LittleEndian(t[8..]));
}
