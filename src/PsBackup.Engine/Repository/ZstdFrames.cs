using System.Buffers.Binary;

namespace PsBackup.Engine.Repository;

/// <summary>
/// The zstd frame layout (RFC 8878, section 3.1) as far as it is needed to cut a stream of
/// concatenated frames into whole frames without decoding them: the frame header gives the
/// header's length and the content size; each block header gives the block's length; the last
/// block is flagged. Skippable frames (magic 0x184D2A5?) are recognised and skipped.
/// </summary>
internal static class ZstdFrames
{
    /// <summary>Plaintext per frame as PsBackup writes them.</summary>
    public const int FrameSize = 1 << 20;

    /// <summary>
    /// The frames' buffers. Not ArrayPool.Shared: frames are compressed and decoded on pool
    /// threads, and the shared pool keeps a buffer per thread and dozens per core, so on a busy
    /// machine (blocked threads make the pool add more) a long backup's peak RSS grew by tens of
    /// MB with its running time. This pool keeps at most a few buffers per size, whatever the thread.
    /// </summary>
    public static readonly System.Buffers.ArrayPool<byte> Buffers =
        System.Buffers.ArrayPool<byte>.Create(maxArrayLength: 8 << 20, maxArraysPerBucket: 2 * Environment.ProcessorCount + 4);

    /// <summary>The largest frame PsBackup reads back; it writes at most <see cref="FrameSize"/> of content per frame.</summary>
    public const int MaxContent = 16 << 20;

    private const uint Magic = 0xFD2FB528;
    private const int BlockMaximum = 128 << 10;

    /// <summary>The bytes of the next frame, read whole from <paramref name="input"/>, or null at the end of the input.</summary>
    public sealed record Frame(byte[] Bytes, int Length, int ContentBound);

    /// <summary>
    /// Reads one whole frame (skipping skippable frames) into a buffer from <paramref name="rent"/>.
    /// Null at a clean end of input; <see cref="InvalidDataException"/> for anything that is not a
    /// complete zstd frame, or a frame larger than PsBackup writes.
    /// </summary>
    public static Frame? Read(Stream input, Func<int, byte[]> rent, Action<byte[]> giveBack)
    {
        Span<byte> head = stackalloc byte[18];
        while (true)
        {
            var got = ReadAtMost(input, head[..4]);
            if (got == 0) return null;
            if (got < 4) throw new InvalidDataException("zstd stream ends inside a frame's magic number.");
            var magic = BinaryPrimitives.ReadUInt32LittleEndian(head);
            if ((magic & 0xFFFFFFF0) == 0x184D2A50)
            {
                ReadExactly(input, head[..4]);
                Skip(input, BinaryPrimitives.ReadUInt32LittleEndian(head));
                continue;
            }
            if (magic != Magic) throw new InvalidDataException($"not a zstd frame (magic 0x{magic:X8}).");
            ReadExactly(input, head.Slice(4, 1));
            var descriptor = head[4];
            if ((descriptor & 0x08) != 0) throw new InvalidDataException("zstd frame header has its reserved bit set.");
            var singleSegment = (descriptor & 0x20) != 0;
            var checksum = (descriptor & 0x04) != 0;
            var dictionaryBytes = (descriptor & 3) switch { 0 => 0, 1 => 1, 2 => 2, _ => 4 };
            var sizeBytes = (descriptor >> 6) switch { 0 => singleSegment ? 1 : 0, 1 => 2, 2 => 4, _ => 8 };
            var headerLength = 5 + (singleSegment ? 0 : 1) + dictionaryBytes + sizeBytes;
            ReadExactly(input, head[5..headerLength]);
            if (dictionaryBytes > 0 && !head.Slice(headerLength - sizeBytes - dictionaryBytes, dictionaryBytes).ContainsAnyExcept((byte)0))
                dictionaryBytes = 0; // dictionary id 0 means none
            if (dictionaryBytes > 0) throw new InvalidDataException("zstd frame needs a dictionary; PsBackup writes none.");
            long? contentSize = sizeBytes switch
            {
                0 => null,
                1 => head[headerLength - 1],
                2 => BinaryPrimitives.ReadUInt16LittleEndian(head[(headerLength - 2)..]) + 256,
                4 => BinaryPrimitives.ReadUInt32LittleEndian(head[(headerLength - 4)..]),
                _ => (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(head[(headerLength - 8)..]), long.MaxValue),
            };
            if (contentSize > MaxContent) throw new InvalidDataException($"zstd frame of {contentSize} bytes; PsBackup writes frames of at most {FrameSize}.");

            var buffer = rent(FrameSize + (FrameSize >> 3));
            try
            {
                head[..headerLength].CopyTo(buffer);
                var length = headerLength;
                long bound = 0;
                while (true)
                {
                    EnsureRoom(ref buffer, length + 3, rent, giveBack);
                    ReadExactly(input, buffer.AsSpan(length, 3));
                    var blockHeader = buffer[length] | buffer[length + 1] << 8 | buffer[length + 2] << 16;
                    length += 3;
                    var last = (blockHeader & 1) != 0;
                    var type = (blockHeader >> 1) & 3;
                    var size = blockHeader >> 3;
                    var stored = type switch
                    {
                        0 => size,  // raw
                        1 => 1,     // RLE: one byte, repeated size times
                        2 => size,  // compressed
                        _ => throw new InvalidDataException("zstd block of the reserved type."),
                    };
                    if (size > BlockMaximum) throw new InvalidDataException("zstd block larger than 128 KiB.");
                    bound += type == 2 ? BlockMaximum : size;
                    if (bound > MaxContent) throw new InvalidDataException($"zstd frame of more than {MaxContent} bytes; PsBackup writes frames of at most {FrameSize}.");
                    EnsureRoom(ref buffer, length + stored, rent, giveBack);
                    ReadExactly(input, buffer.AsSpan(length, stored));
                    length += stored;
                    if (last) break;
                }
                if (checksum)
                {
                    EnsureRoom(ref buffer, length + 4, rent, giveBack);
                    ReadExactly(input, buffer.AsSpan(length, 4));
                    length += 4;
                }
                var contentBound = (int)(contentSize ?? bound);
                return new Frame(buffer, length, contentBound);
            }
            catch
            {
                giveBack(buffer);
                throw;
            }
        }
    }

    private static void EnsureRoom(ref byte[] buffer, int needed, Func<int, byte[]> rent, Action<byte[]> giveBack)
    {
        if (needed <= buffer.Length) return;
        var larger = rent(Math.Max(needed, buffer.Length * 2));
        buffer.AsSpan().CopyTo(larger);
        giveBack(buffer);
        buffer = larger;
    }

    private static int ReadAtMost(Stream input, Span<byte> buffer)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var n = input.Read(buffer[done..]);
            if (n == 0) break;
            done += n;
        }
        return done;
    }

    private static void ReadExactly(Stream input, Span<byte> buffer)
    {
        if (ReadAtMost(input, buffer) < buffer.Length) throw new InvalidDataException("zstd stream ends inside a frame.");
    }

    private static void Skip(Stream input, long count)
    {
        Span<byte> scratch = stackalloc byte[4096];
        while (count > 0)
        {
            var n = input.Read(scratch[..(int)Math.Min(scratch.Length, count)]);
            if (n == 0) throw new InvalidDataException("zstd stream ends inside a skippable frame.");
            count -= n;
        }
    }
}
