using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;

namespace PsBackup.Engine.Providers.Files.Native;

/// <summary>
/// User and group names of this machine (getpwuid_r, getgrgid_r, getpwnam_r, getgrnam_r: the
/// system's NSS, so LDAP or sssd accounts too), cached: a tree has few distinct owners.
/// </summary>
internal static unsafe class Accounts
{
    // struct passwd and struct group both start with the name pointer; pw_uid and gr_gid sit at 16.
    private const int StructSize = 64, IdOffset = 16;
    private static readonly ConcurrentDictionary<uint, string?> UserNames = new(), GroupNames = new();
    private static readonly ConcurrentDictionary<string, uint?> UserIds = new(), GroupIds = new();

    public static string? UserName(uint uid) => UserNames.GetOrAdd(uid, id => Lookup((s, b, n, r) => LibC.GetPwUid(id, s, b, n, r)).Name);

    public static string? GroupName(uint gid) => GroupNames.GetOrAdd(gid, id => Lookup((s, b, n, r) => LibC.GetGrGid(id, s, b, n, r)).Name);

    public static uint? UserId(string name) => UserIds.GetOrAdd(name, n => ByName(n, (c, s, b, size, r) => LibC.GetPwNam(c, s, b, size, r)));

    public static uint? GroupId(string name) => GroupIds.GetOrAdd(name, n => ByName(n, (c, s, b, size, r) => LibC.GetGrNam(c, s, b, size, r)));

    private delegate int Query(byte* entry, byte* buffer, nint size, IntPtr* result);

    private delegate int NameQuery(byte* name, byte* entry, byte* buffer, nint size, IntPtr* result);

    private static uint? ByName(string name, NameQuery query)
    {
        var cName = Encoding.UTF8.GetBytes(name + "\0");
        return Lookup((s, b, size, r) =>
        {
            fixed (byte* n = cName) return query(n, s, b, size, r);
        }).Id;
    }

    private static (string? Name, uint? Id) Lookup(Query query)
    {
        byte* entry = stackalloc byte[StructSize];
        for (var size = 1024; size <= 1 << 20; size *= 4)
        {
            var buffer = new byte[size];
            IntPtr result;
            int rc;
            fixed (byte* b = buffer)
            {
                rc = query(entry, b, size, &result);
                if (rc == 0 && result != IntPtr.Zero)
                    return (Marshal.PtrToStringUTF8(*(IntPtr*)entry), *(uint*)(entry + IdOffset));
            }
            if (rc != LibC.ERANGE) return (null, null); // not found, or the lookup failed: no name
        }
        return (null, null);
    }

    /// <summary>
    /// Whether this process may give files to other owners: root, or CAP_CHOWN in its effective
    /// capabilities (/proc/self/status CapEff, bit 0).
    /// </summary>
    public static bool CanChown()
    {
        if (LibC.GetEUid() == 0) return true;
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("CapEff:", StringComparison.Ordinal));
            return line != null && (Convert.ToUInt64(line[7..].Trim(), 16) & 1) != 0;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
