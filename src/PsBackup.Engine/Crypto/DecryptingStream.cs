using PsBackup.Engine.IO;
using System.Buffers.Binary;
using System.Security.Cryptography;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Crypto;

/// <summary>Read-only stream that opens frames written by <see cref="EncryptingStream"/> and authenticates each one.</summary>
internal sealed class DecryptingStream : ReadOnlyStream
{
    private readonly Stream _inner;
    private readonly AesGcm _aes;
    private readonly string _name;
    private readonly byte[] _prefix = new byte[FramedEncryption.PrefixSize];
    private readonly byte[] _frame = new byte[FramedEncryption.FrameSize + FramedEncryption.TagSize];
    private readonly byte[] _plain = new byte[FramedEncryption.FrameSize];
    private int _plainLength, _plainOffset;
    private uint _counter;
    private bool _headerRead, _finalSeen;

    public DecryptingStream(Stream inner, byte[] key, string name)
    {
        _inner = inner;
        _aes = new AesGcm(key, FramedEncryption.TagSize);
        _name = name;
    }

    public override int Read(Span<byte> buffer)
    {
        while (_plainOffset == _plainLength)
        {
            if (_finalSeen) return 0;
            OpenNextFrame();
        }
        var n = Math.Min(buffer.Length, _plainLength - _plainOffset);
        _plain.AsSpan(_plainOffset, n).CopyTo(buffer);
        _plainOffset += n;
        return n;
    }

    private void OpenNextFrame()
    {
        if (!_headerRead)
        {
            Span<byte> magic = stackalloc byte[8];
            if (!ReadExactly(_inner, magic) || !magic.SequenceEqual(FramedEncryption.Magic))
                throw new IntegrityException($"Artifact '{_name}' is not a PsBackup encrypted stream.");
            if (!ReadExactly(_inner, _prefix))
                throw Truncated();
            _headerRead = true;
        }
        Span<byte> lengthBytes = stackalloc byte[4];
        if (!ReadExactly(_inner, lengthBytes))
            throw Truncated();
        var length = BinaryPrimitives.ReadUInt32BigEndian(lengthBytes);
        if (length > FramedEncryption.FrameSize)
            throw new IntegrityException($"Artifact '{_name}' has a corrupt frame header.");
        var sealedFrame = _frame.AsSpan(0, (int)length + FramedEncryption.TagSize);
        if (!ReadExactly(_inner, sealedFrame))
            throw Truncated();
        Span<byte> nonce = stackalloc byte[12];
        FramedEncryption.Nonce(nonce, _prefix, _counter++);
        var plain = _plain.AsSpan(0, (int)length);
        var cipher = sealedFrame[..(int)length];
        var tag = sealedFrame[(int)length..];
        // The final flag is not stored: a frame opens either as final or as non-final.
        if (TryOpen(nonce, cipher, tag, plain, final: false)) { }
        else if (TryOpen(nonce, cipher, tag, plain, final: true)) _finalSeen = true;
        else throw new IntegrityException($"Artifact '{_name}' failed authentication: it was modified, or the key is wrong.");
        if (_finalSeen && _inner.ReadByte() != -1)
            throw new IntegrityException($"Artifact '{_name}' has data after its final frame.");
        _plainLength = (int)length;
        _plainOffset = 0;
    }

    private bool TryOpen(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> cipher, ReadOnlySpan<byte> tag, Span<byte> plain, bool final)
    {
        try
        {
            _aes.Decrypt(nonce, cipher, tag, plain, [final ? (byte)1 : (byte)0]);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }

    private IntegrityException Truncated() => new($"Artifact '{_name}' is truncated: its final encrypted frame is missing.");

    private static bool ReadExactly(Stream stream, Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = stream.Read(buffer[total..]);
            if (n == 0) return false;
            total += n;
        }
        return true;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _aes.Dispose();
            _inner.Dispose();
        }
        base.Dispose(disposing);
    }

}
