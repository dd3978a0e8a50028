using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Providers.Redis;

/// <summary>
/// Restores an RDB artifact as dump.rdb into a data directory, for a redis-server that is
/// stopped and then started on it. The file is written beside its final name, checked whole
/// (SHA-256 of the artifact, RDB header, end marker and CRC-64), flushed to disk and only then
/// renamed into place; an existing dump.rdb is replaced only with -Force.
/// </summary>
internal static class RedisDataDirectory
{
    public const string FileName = "dump.rdb";

    public static async Task<string> RestoreAsync(TargetRestoreContext context, Func<CancellationToken, Task<Stream>> open, CancellationToken ct)
    {
        var options = context.OptionsOr<RedisRestoreOptions>();
        if (!string.IsNullOrEmpty(options.KeyPrefix) || options.DatabaseMap is { Count: > 0 })
            throw new InvalidBackupRequestException("RedisRemapNeedsServer",
                "-KeyPrefix and -DatabaseMap rename keys as they are restored into a running server; give -Destination as host:port (or redis://host:port), not a directory.");
        var directory = context.DestinationPath!;
        var file = Path.Combine(directory, FileName);
        if (File.Exists(file) && !context.Force)
            throw new RestoreConflictException($"'{file}' exists. Use -Force to replace it (stop the redis-server using it first).") { TargetObject = file };
        if (Directory.Exists(file))
            throw new RestoreConflictException($"'{file}' is a directory.") { TargetObject = file };
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{FileName}.psbackup-{Guid.NewGuid().ToString("N")[..8]}");
        try
        {
            var check = new RdbStreamCheck($"Backup '{context.Head.Id}' of target '{context.Target.Name}'");
            await using (var input = await open(ct).ConfigureAwait(false))
            await using (var output = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                var buffer = new byte[1 << 17];
                int n;
                while ((n = await input.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                {
                    check.Append(buffer.AsSpan(0, n));
                    await output.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                }
                output.Flush(flushToDisk: true);
            }
            check.Complete();
            File.Move(temporary, file, overwrite: context.Force);
            return file;
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }
}
