using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace PsBackup.Engine.Providers.Files.Native;

/// <summary>
/// Linux names are bytes; .NET strings are UTF-16. A name that is valid UTF-8 becomes its
/// ordinary string; in one that is not, each byte of an invalid sequence becomes the lone
/// surrogate U+DC80..U+DCFF (Python's "surrogateescape"). Valid UTF-8 never decodes to a lone
/// surrogate, so the mapping is lossless both ways, and such strings work unchanged as
/// dictionary keys, in filters and in path checks. They must never reach a .NET file API or
/// UTF-8 encoder (which would replace the surrogates): <see cref="ToCString"/> gives the bytes
/// for libc, <see cref="Display"/> a readable form for messages.
/// </summary>
internal static class FsName
{
    private const char EscapeBase = '\uDC00';

    public static string FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (Utf8.IsValid(bytes)) return Encoding.UTF8.GetString(bytes);
        var text = new StringBuilder(bytes.Length + 8);
        while (!bytes.IsEmpty)
        {
            if (Rune.DecodeFromUtf8(bytes, out var rune, out var consumed) == OperationStatus.Done)
                text.Append(rune.ToString());
            else
                foreach (var b in bytes[..consumed]) text.Append((char)(EscapeBase + b)); // always 0x80..0xFF
            bytes = bytes[consumed..];
        }
        return text.ToString();
    }

    /// <summary>Whether the name is not valid UTF-8 (it holds escaped bytes).</summary>
    public static bool HasEscapes(string name)
    {
        foreach (var c in name)
            if (char.IsSurrogate(c)) return Escaped(name).Any();
        return false;
    }

    /// <summary>The name's bytes.</summary>
    public static byte[] ToBytes(string name)
    {
        if (!HasEscapes(name)) return Encoding.UTF8.GetBytes(name);
        var bytes = new List<byte>(name.Length + 8);
        Span<byte> utf8 = stackalloc byte[4];
        var rest = name.AsSpan();
        while (!rest.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(rest, out var rune, out var consumed) == OperationStatus.Done)
            {
                var n = rune.EncodeToUtf8(utf8);
                for (var i = 0; i < n; i++) bytes.Add(utf8[i]);
            }
            else if (rest[0] is >= '\uDC80' and <= '\uDCFF')
            {
                bytes.Add((byte)(rest[0] - EscapeBase));
                consumed = 1;
            }
            else
            {
                throw new ArgumentException("A name holds a lone surrogate that is no escaped byte.", nameof(name));
            }
            rest = rest[consumed..];
        }
        return bytes.ToArray();
    }

    /// <summary>The name's bytes followed by NUL, for libc.</summary>
    public static byte[] ToCString(string name)
    {
        var bytes = ToBytes(name);
        if (bytes.AsSpan().Contains((byte)0)) throw new ArgumentException("A path holds a NUL byte.", nameof(name));
        var c = new byte[bytes.Length + 1];
        bytes.CopyTo(c, 0);
        return c;
    }

    /// <summary>
    /// A readable, unambiguous form for messages (as `ls -b` shows names): escaped bytes as \xE9,
    /// control characters as \n, \t, \r or \xHH, and a backslash as \\. Other names are unchanged.
    /// </summary>
    public static string Display(string name)
    {
        if (!NeedsDisplayEscape(name)) return name;
        var text = new StringBuilder(name.Length + 16);
        var rest = name.AsSpan();
        while (!rest.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(rest, out var rune, out var consumed) == OperationStatus.Done)
            {
                text.Append(rune.Value switch
                {
                    '\\' => "\\\\",
                    '\n' => "\\n",
                    '\t' => "\\t",
                    '\r' => "\\r",
                    < 0x20 or 0x7F => $"\\x{rune.Value:X2}",
                    _ => rune.ToString(),
                });
            }
            else
            {
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\x{rest[0] - EscapeBase:X2}");
                consumed = 1;
            }
            rest = rest[consumed..];
        }
        return text.ToString();
    }

    /// <summary>Orders names by their bytes (the index's order), which UTF-16 ordinal order is not.</summary>
    public static int CompareBytes(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => a.SequenceCompareTo(b);

    private static bool NeedsDisplayEscape(string name)
    {
        foreach (var c in name)
            if (c < 0x20 || c == 0x7F || c == '\\' || char.IsSurrogate(c)) return true;
        return false;
    }

    private static IEnumerable<int> Escaped(string name)
    {
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsHighSurrogate(name[i]) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1])) { i++; continue; }
            if (name[i] is >= '\uDC80' and <= '\uDCFF') yield return i;
        }
    }
}
