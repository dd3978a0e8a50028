namespace PsBackup;
internal static class Placeholder { }
