using PsBackup.Engine.Providers.Files.Native;

namespace PsBackup.Engine.Providers.Files;

/// <summary>
/// Applies an entry's recorded metadata to a restored path, in the order that keeps every part:
/// owner first (chown clears setuid/setgid and file capabilities), then xattrs (while the owner
/// may still write a read-only file's attributes), then the mode with its setuid/setgid/sticky
/// bits, then the mtime (which the others would change). What the destination or the process
/// cannot take — owners without root, xattrs on a file system without them — is a warning, said
/// once, never a failed restore. Safe to use from several threads at once.
/// </summary>
internal sealed class MetadataWriter
{
    private readonly OwnerMapping _owners;
    private readonly bool _xattrs;
    private readonly Action<string> _warn;
    private readonly HashSet<string> _warned = [];
    private readonly uint _euid = LibC.GetEUid(), _egid = LibC.GetEGid();

    public MetadataWriter(FileRestoreOptions options, Action<string> warn)
        : this(new OwnerMapping(Accounts.CanChown(), options.NumericOwner, Accounts.UserId, Accounts.GroupId), !options.SkipXattrs, warn) { }

    internal MetadataWriter(OwnerMapping owners, bool xattrs, Action<string> warn) => (_owners, _xattrs, _warn) = (owners, xattrs, warn);

    public void Apply(byte[] cPath, FileEntry entry)
    {
        ApplyOwner(cPath, entry);
        if (_xattrs && entry.Xattrs != null)
            foreach (var xattr in entry.Xattrs)
                ApplyXattr(cPath, entry.Path, xattr);
        if (entry.Mode != null && entry.Type != FileEntryType.Symlink)
            Check(PathOps.Chmod(cPath, Convert.ToUInt32(entry.Mode, 8)), "set the mode of", entry.Path);
        Check(PathOps.SetMtime(cPath, PosixTime.From(entry.Mtime)), "set the mtime of", entry.Path);
    }

    private void ApplyOwner(byte[] cPath, FileEntry entry)
    {
        if (_owners.Resolve(entry.Uid, entry.Gid, entry.User, entry.Group) is not { } owner)
        {
            if (!_owners.CanChown && entry.Uid is { } uid && (uid != _euid || entry.Gid != _egid))
                Once("owner", $"Owners are not restored: this restore runs as uid {_euid} without root or CAP_CHOWN, so restored files belong to it " +
                              $"(e.g. '{FsName.Display(entry.Path)}' was owned by {Describe(uid, entry.User)}). Restore as root to restore owners.");
            return;
        }
        var errno = PathOps.Chown(cPath, owner.Uid, owner.Gid);
        if (errno != 0)
            Once($"chown {errno}", $"Could not restore owners ({NativeError.Describe(errno)}), e.g. of '{FsName.Display(entry.Path)}' to uid {owner.Uid}, gid {owner.Gid}; " +
                                   "such files keep the restoring user as owner.");
    }

    private void ApplyXattr(byte[] cPath, string path, Xattr xattr)
    {
        var errno = Xattrs.Set(cPath, xattr);
        if (errno == 0) return;
        var space = xattr.Name[..(xattr.Name.IndexOf('.') + 1)];
        if (errno == LibC.EOPNOTSUPP)
            Once($"xattr {space} {errno}", $"The destination's file system does not support '{space}*' extended attributes{(xattr.Name.StartsWith("system.posix_acl", StringComparison.Ordinal) ? " (POSIX ACLs)" : "")}; " +
                                           $"they are not restored (first: '{xattr.Name}' of '{FsName.Display(path)}').");
        else if (errno is LibC.EPERM or LibC.EACCES)
            Once($"xattr {space} {errno}", $"Not permitted to restore '{space}*' extended attributes ({NativeError.Describe(errno)}), e.g. '{xattr.Name}' of '{FsName.Display(path)}'; " +
                                           "trusted.* and security.* need root.");
        else
            Once($"xattr {xattr.Name} {errno}", $"Could not restore the extended attribute '{xattr.Name}' of '{FsName.Display(path)}': {NativeError.Describe(errno)}.");
    }

    private static void Check(int errno, string what, string path)
    {
        if (errno != 0) throw NativeError.Of(what, path, errno);
    }

    private static string Describe(uint id, string? name) => name == null ? $"uid {id}" : $"'{name}' (uid {id})";

    /// <summary>Each pack's thread applies its files' metadata: the warnings said once are shared.</summary>
    private void Once(string key, string message)
    {
        lock (_warned)
            if (!_warned.Add(key)) return;
        _warn(message);
    }
}
