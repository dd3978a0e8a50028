namespace PsBackup.Engine.Providers.Redis;

/// <summary>
/// One key of an RDB file. <see cref="Value"/> is the value's serialization exactly as in the
/// file (the same bytes a DUMP payload holds) and is only valid until the reader moves on.
/// </summary>
internal sealed class RdbEntry
{
    public int Database { get; set; }
    public byte[] Key { get; set; } = [];

    /// <summary>Absolute expiry in Unix milliseconds; -1 for none.</summary>
    public long ExpireAtMs { get; set; } = -1;

    public byte Type { get; set; }
    public ReadOnlyMemory<byte> Value { get; set; }
}
