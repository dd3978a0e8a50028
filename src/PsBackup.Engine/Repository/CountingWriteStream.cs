using PsBackup.Engine.IO;
namespace PsBackup.Engine.Repository;

/// <summary>Counts the bytes that reach the store (the artifact's stored size). Does not own the inner stream.</summary>
internal sealed class CountingWriteStream(Stream inner) : WriteOnlyStream
{
    public long BytesWritten { get; private set; }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        BytesWritten += buffer.Length;
        inner.Write(buffer);
    }

    public override void Flush() => inner.Flush();
}
