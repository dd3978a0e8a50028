namespace PsBackup.Engine;
internal static class Placeholder { }
