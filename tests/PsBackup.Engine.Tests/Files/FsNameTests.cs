using System.Text;
using PsBackup.Engine.Providers.Files.Native;

namespace PsBackup.Engine.Tests.Files;

/// <summary>Names as bytes: the string form must give back every byte sequence exactly.</summary>
public sealed class FsNameTests
{
    [Fact]
    public void Any_byte_sequence_survives_the_string_form()
    {
        var random = new Random(14);
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = new byte[random.Next(1, 40)];
            random.NextBytes(bytes);
            if (i % 3 == 0) // mostly valid UTF-8 with an invalid byte or a truncated sequence in it
                bytes = [.. Encoding.UTF8.GetBytes("naïve-€-😀"), .. bytes.Take(2)];
            var name = FsName.FromBytes(bytes);
            Assert.Equal(bytes, FsName.ToBytes(name));
        }
    }

    [Theory]
    [InlineData(new byte[] { 0x63, 0x61, 0x66, 0xE9 }, "caf\\xE9")]
    [InlineData(new byte[] { 0xFF, 0xFE, 0x2F, 0x61 }, "\\xFF\\xFE/a")]
    [InlineData(new byte[] { 0xE2, 0x82 }, "\\xE2\\x82")]                 // a truncated sequence
    [InlineData(new byte[] { 0xED, 0xB0, 0x80 }, "\\xED\\xB0\\x80")]     // an encoded surrogate is not UTF-8
    [InlineData(new byte[] { 0x61, 0x0A, 0x09, 0x5C, 0x7F }, "a\\n\\t\\\\\\x7F")]
    [InlineData(new byte[] { 0xC3, 0xA9, 0xE2, 0x82, 0xAC }, "é€")]
    public void Names_display_readably_and_unambiguously(byte[] bytes, string display)
    {
        Assert.Equal(display, FsName.Display(FsName.FromBytes(bytes)));
    }

    [Fact]
    public void Valid_UTF8_stays_an_ordinary_string_and_only_invalid_bytes_are_escaped()
    {
        Assert.Equal("naïve 😀", FsName.FromBytes(Encoding.UTF8.GetBytes("naïve 😀")));
        Assert.False(FsName.HasEscapes("naïve 😀"));
        Assert.True(FsName.HasEscapes(FsName.FromBytes([0x61, 0xE9])));
        Assert.Equal([0x61, 0xE9, 0x00], FsName.ToCString(FsName.FromBytes([0x61, 0xE9])));
    }
}
