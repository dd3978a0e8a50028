using PsBackup.Engine.IO;
namespace PsBackup.Engine.Storage;

/// <summary>
/// A write-only stream that becomes a visible object only on <see cref="CommitAsync"/>.
/// Disposing without committing discards what was written, so a cancelled or failed
/// write never leaves a half object under the final key.
/// </summary>
public abstract class ObjectWriteStream : WriteOnlyStream
{
    public abstract string Key { get; }

    /// <summary>Publishes the object under its key (replacing an existing one).</summary>
    public abstract Task CommitAsync(CancellationToken cancellationToken);

}
