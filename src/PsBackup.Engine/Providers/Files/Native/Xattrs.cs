namespace PsBackup.Engine.Providers.Files.Native;

/// <summary>One extended attribute: its name (UTF-8) and its value's bytes.</summary>
public sealed record Xattr(string Name, byte[] Value);

/// <summary>
/// Extended attributes of a path, never following a final symlink (llistxattr, lgetxattr,
/// lsetxattr). POSIX ACLs are the xattrs system.posix_acl_access and system.posix_acl_default,
/// in the kernel's binary form, so they come and go with the others.
/// </summary>
internal static unsafe class Xattrs
{
    /// <summary>Whether a name is recorded: the user, security and trusted namespaces and the two ACLs (other system.* names are file-system internals).</summary>
    public static bool IsRecorded(string name) =>
        name.StartsWith("user.", StringComparison.Ordinal) || name.StartsWith("security.", StringComparison.Ordinal)
        || name.StartsWith("trusted.", StringComparison.Ordinal)
        || name is "system.posix_acl_access" or "system.posix_acl_default";

    /// <summary>
    /// The path's recorded xattrs, sorted by name; null when it has none. A name that is not
    /// valid UTF-8 is reported to <paramref name="skipped"/> and left out. ENOTSUP (a file system
    /// without xattrs) is no xattrs.
    /// </summary>
    public static List<Xattr>? Read(byte[] cPath, string displayPath, Action<string> skipped)
    {
        var list = List(cPath, displayPath);
        if (list == null) return null;
        List<Xattr>? result = null;
        foreach (var rawName in Split(list))
        {
            if (!System.Text.Unicode.Utf8.IsValid(rawName.AsSpan(0, rawName.Length - 1)))
            {
                skipped(FsName.Display(FsName.FromBytes(rawName.AsSpan(0, rawName.Length - 1))));
                continue;
            }
            var name = System.Text.Encoding.UTF8.GetString(rawName, 0, rawName.Length - 1);
            if (!IsRecorded(name)) continue;
            var value = Get(cPath, rawName, displayPath, name);
            if (value == null) continue; // removed meanwhile
            (result ??= []).Add(new Xattr(name, value));
        }
        result?.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return result;
    }

    /// <summary>lsetxattr; returns 0 or the errno.</summary>
    public static int Set(byte[] cPath, Xattr xattr)
    {
        var name = FsName.ToCString(xattr.Name);
        fixed (byte* p = cPath)
        fixed (byte* n = name)
        fixed (byte* v = xattr.Value)
            return LibC.LSetXattr(p, n, v, xattr.Value.Length, 0) == 0 ? 0 : LibC.Errno;
    }

    private static byte[]? List(byte[] cPath, string displayPath)
    {
        while (true)
        {
            nint size;
            fixed (byte* p = cPath)
                size = LibC.LListXattr(p, null, 0);
            if (size < 0)
            {
                var errno = LibC.Errno;
                if (errno is LibC.EOPNOTSUPP) return null;
                throw NativeError.Of("list xattrs of", displayPath, errno);
            }
            if (size == 0) return null;
            var buffer = new byte[size];
            fixed (byte* p = cPath)
            fixed (byte* b = buffer)
                size = LibC.LListXattr(p, b, buffer.Length);
            if (size >= 0) return buffer[..(int)size];
            if (LibC.Errno != LibC.ERANGE) throw NativeError.Of("list xattrs of", displayPath, LibC.Errno);
            // grew meanwhile: ask again
        }
    }

    private static byte[]? Get(byte[] cPath, byte[] cName, string displayPath, string name)
    {
        while (true)
        {
            nint size;
            fixed (byte* p = cPath)
            fixed (byte* n = cName)
                size = LibC.LGetXattr(p, n, null, 0);
            if (size < 0)
            {
                var errno = LibC.Errno;
                if (errno == LibC.ENODATA) return null;
                throw NativeError.Of($"read xattr {name} of", displayPath, errno);
            }
            var buffer = new byte[size];
            if (size == 0) return buffer;
            fixed (byte* p = cPath)
            fixed (byte* n = cName)
            fixed (byte* b = buffer)
                size = LibC.LGetXattr(p, n, b, buffer.Length);
            if (size >= 0) return buffer[..(int)size];
            if (LibC.Errno != LibC.ERANGE) throw NativeError.Of($"read xattr {name} of", displayPath, LibC.Errno);
        }
    }

    /// <summary>The NUL-separated list into names, each with its NUL.</summary>
    private static IEnumerable<byte[]> Split(byte[] list)
    {
        var start = 0;
        for (var i = 0; i < list.Length; i++)
        {
            if (list[i] != 0) continue;
            if (i > start) yield return list[start..(i + 1)];
            start = i + 1;
        }
    }
}
