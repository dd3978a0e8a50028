namespace PsBackup.Engine.Storage;

/// <summary>
/// A write-only stream that becomes a visible object only on <see cref="CommitAsync"/>.
/// Disposing without committing discards what was written, so a cancelled or failed
/// write never leaves a half object under the final key.
/// </summary>
public abstract class ObjectWriteStream : Stream
{
    public abstract string Key { get; }

    /// <summary>Publishes the object under its key (replacing an existing one).</summary>
    public abstract Task CommitAsync(CancellationToken cancellationToken);

    public sealed override bool CanRead => false;
    public sealed override bool CanSeek => false;
    public sealed override bool CanWrite => true;
    public sealed override long Length => throw new NotSupportedException();
    public sealed override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public sealed override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public sealed override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public sealed override void SetLength(long value) => throw new NotSupportedException();
}
