using PsBackup.Engine.IO;
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace PsBackup.Engine.Crypto;

/// <summary>Write-only stream that seals what is written into frames (see <see cref="FramedEncryption"/>).</summary>
internal sealed class EncryptingStream : WriteOnlyStream
{
    private readonly Stream _inner;
    private readonly AesGcm _aes;
    private readonly byte[] _prefix = RandomNumberGenerator.GetBytes(FramedEncryption.PrefixSize);
    private readonly byte[] _plain = new byte[FramedEncryption.FrameSize];
    private readonly byte[] _sealed = new byte[4 + FramedEncryption.FrameSize + FramedEncryption.TagSize];
    private int _filled;
    private uint _counter;
    private bool _headerWritten, _finished;

    public EncryptingStream(Stream inner, byte[] key)
    {
        _inner = inner;
        _aes = new AesGcm(key, FramedEncryption.TagSize);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            // A full frame is sealed only once more data arrives, so the final frame is always
            // known when Dispose seals it with the "final" flag.
            if (_filled == _plain.Length)
                Seal(final: false);
            var n = Math.Min(buffer.Length, _plain.Length - _filled);
            buffer[..n].CopyTo(_plain.AsSpan(_filled));
            _filled += n;
            buffer = buffer[n..];
        }
    }

    /// <summary>Seals the final frame. Must be called before the inner stream is committed.</summary>
    public void Finish()
    {
        if (_finished) return;
        Seal(final: true);
        _finished = true;
        _inner.Flush();
    }

    private void Seal(bool final)
    {
        if (!_headerWritten)
        {
            _inner.Write(FramedEncryption.Magic);
            _inner.Write(_prefix);
            _headerWritten = true;
        }
        Span<byte> nonce = stackalloc byte[12];
        FramedEncryption.Nonce(nonce, _prefix, _counter++);
        ReadOnlySpan<byte> aad = [final ? (byte)1 : (byte)0];
        BinaryPrimitives.WriteUInt32BigEndian(_sealed, (uint)_filled);
        _aes.Encrypt(nonce, _plain.AsSpan(0, _filled), _sealed.AsSpan(4, _filled), _sealed.AsSpan(4 + _filled, FramedEncryption.TagSize), aad);
        _inner.Write(_sealed, 0, 4 + _filled + FramedEncryption.TagSize);
        _filled = 0;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _aes.Dispose();
        base.Dispose(disposing);
    }

}
