using System.Runtime.InteropServices;

namespace PsBackup.Engine.Providers.Files.Native;

/// <summary>A failed libc call on a path, with its errno.</summary>
internal sealed class NativeIOException(string message, int errno) : IOException(message)
{
    public int Errno { get; } = errno;
}

internal static class NativeError
{
    /// <summary>"open 'a/b\xE9': Permission denied".</summary>
    public static NativeIOException Of(string operation, string path, int errno) =>
        new($"{operation} '{FsName.Display(path)}': {Describe(errno)}", errno);

    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
