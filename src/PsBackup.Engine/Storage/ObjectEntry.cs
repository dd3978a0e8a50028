namespace PsBackup.Engine.Storage;

/// <summary>One object in a store: its key ('/'-separated, relative to the repository root) and size.</summary>
public sealed record ObjectEntry(string Key, long Size, DateTimeOffset LastModified);
