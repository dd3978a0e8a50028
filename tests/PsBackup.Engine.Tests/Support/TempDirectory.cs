namespace PsBackup.Engine.Tests.Support;

/// <summary>A fresh directory under /tmp, removed (best effort) when the test ends.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string? name = null)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "psbackup-tests", (name ?? "t") + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            // Restored trees may contain read-only directories; make them writable so they can be deleted.
            foreach (var dir in Directory.EnumerateDirectories(Path, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
                if (new DirectoryInfo(dir).LinkTarget == null)
                    File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            Directory.Delete(Path, recursive: true);
        }
        catch (Exception)
        {
            // Names that are not UTF-8 and paths beyond PATH_MAX defeat the .NET APIs: rm copes with both.
            try { System.Diagnostics.Process.Start("rm", ["-rf", "--", Path])?.WaitForExit(); }
            catch (Exception) { } // leftovers under /tmp are harmless
        }
    }
}
