using System.Text;
using Npgsql;

namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>
/// COPY in text format, for tables whose binary COPY would carry type OIDs another database does
/// not share (see <see cref="PgTableDefinition.CopyFormat"/>). Npgsql's raw copy is binary only,
/// so the text goes through its text reader and writer, as UTF-8 (the sessions' client encoding).
/// </summary>
internal static class PgTextCopy
{
    private const int Chars = 1 << 16;
    private static readonly Encoding Utf8 = new UTF8Encoding(false);

    public static async Task ExportAsync(NpgsqlConnection connection, string command, Stream artifact, Action<int> progress, CancellationToken ct)
    {
        using var reader = await connection.BeginTextExportAsync(command, ct).ConfigureAwait(false);
        await using var writer = new StreamWriter(artifact, Utf8, Chars, leaveOpen: true);
        var buffer = new char[Chars];
        int n;
        while ((n = await reader.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            await writer.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
            progress(n);
        }
    }

    public static async Task<long> ImportAsync(NpgsqlConnection connection, string command, Stream data, CancellationToken ct)
    {
        long chars = 0;
        using var reader = new StreamReader(data, Utf8, false, Chars, leaveOpen: true);
        await using (var writer = await connection.BeginTextImportAsync(command, ct).ConfigureAwait(false))
        {
            var buffer = new char[Chars];
            int n;
            while ((n = await reader.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                await writer.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                chars += n;
            }
        }
        return chars;
    }
}
