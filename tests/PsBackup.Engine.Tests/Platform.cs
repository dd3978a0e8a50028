// The engine tests run real servers and file systems on Linux (POSIX modes, owners, runuser).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
