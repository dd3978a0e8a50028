namespace PsBackup.Engine.Repository;

/// <summary>collections/&lt;name&gt;/lock.json: who holds the collection's write lease, until when.</summary>
public sealed class LockRecord
{
    public const string FormatName = "psbackup-lock";

    /// <summary>Absent in locks of format 1 (written before locks had a digest).</summary>
    public string Format { get; set; } = FormatName;
    public int Version { get; set; } = FormatVersion.Lock;
    public string Owner { get; set; } = "";
    public string Host { get; set; } = "";
    public int Pid { get; set; }
    public string User { get; set; } = "";
    public string Operation { get; set; } = "";
    public DateTimeOffset Acquired { get; set; }

    /// <summary>The lease ends here unless the holder's heartbeat extends it.</summary>
    public DateTimeOffset Expires { get; set; }
}
