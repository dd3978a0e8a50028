namespace PsBackup.Engine.Providers.Files;

/// <summary>
/// Which owner a restored file gets, as GNU tar decides: only a process that may chown (root, or
/// CAP_CHOWN) gives files away; it uses the recorded name when this machine knows it, else the
/// recorded number; with -NumericOwner always the number. Anyone else keeps files as its own.
/// </summary>
internal sealed class OwnerMapping(bool canChown, bool numericOwner, Func<string, uint?> userId, Func<string, uint?> groupId)
{
    public bool CanChown => canChown;

    /// <summary>The (uid, gid) to give the file; null: leave the owner the restoring process gave it.</summary>
    public (uint Uid, uint Gid)? Resolve(uint? uid, uint? gid, string? user, string? group)
    {
        if (!canChown || uid == null || gid == null) return null;
        return (Pick(uid.Value, user, userId), Pick(gid.Value, group, groupId));
    }

    private uint Pick(uint recorded, string? name, Func<string, uint?> lookup) =>
        numericOwner || name == null ? recorded : lookup(name) ?? recorded;
}
