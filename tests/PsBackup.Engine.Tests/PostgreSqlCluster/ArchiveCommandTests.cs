using System.Diagnostics;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.PostgreSqlCluster;

/// <summary>
/// Get-BackupArchiveCommand's engine side: the line runs, through /bin/sh as PostgreSQL runs it,
/// the archiver with exactly the intended arguments (awkward paths included), and holds no secret.
/// </summary>
public sealed class ArchiveCommandTests : IDisposable
{
    private readonly EngineFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    [Fact]
    public async Task The_line_passes_every_argument_intact_through_the_shell()
    {
        // A repository path with a space, a single quote, a dollar and a backslash.
        var repository = _fx.Temp.Combine("it's a $HOME \\ repo");
        await _fx.Engine.NewCollectionAsync(new NewCollectionRequest("orders-pitr", [new PostgreSqlClusterTarget { Name = "pg" }]) { Repository = repository });
        // The "archiver": a script that prints its arguments one per line.
        var archiver = _fx.Temp.Combine("print args.sh");
        await File.WriteAllTextAsync(archiver, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n");
        File.SetUnixFileMode(archiver, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var line = await _fx.Engine.GetArchiveCommandAsync(new ArchiveCommandRequest("orders-pitr", [archiver])
        {
            Repository = repository,
            Copies = ["s3://dr/orders"],
            PassphraseFile = "/etc/psbackup/pass phrase",
        });

        Assert.Equal($"archive_command = '{line.Command.Replace("'", "''", StringComparison.Ordinal)}'", line.ConfigurationLine);
        // As PostgreSQL does: %p and %f replaced, the result run by /bin/sh -c.
        var shell = line.Command.Replace("%p", "pg_wal/000000010000000000000003", StringComparison.Ordinal)
            .Replace("%f", "000000010000000000000003", StringComparison.Ordinal);
        using var process = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", shell]) { RedirectStandardOutput = true })!;
        var printed = (await process.StandardOutput.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
        Assert.Equal(["archive-log", "--repository", repository, "--repository", "s3://dr/orders", "--collection", "orders-pitr",
            "--passphrase-file", "/etc/psbackup/pass phrase", "pg_wal/000000010000000000000003", "000000010000000000000003"], printed);
        // The endpoint variable is named only where one is in use (CI sets it for s3rver; AWS needs none).
        string[] aws = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"];
        Assert.Equal(string.IsNullOrEmpty(Environment.GetEnvironmentVariable("PSBACKUP_S3_ENDPOINT")) ? aws : [.. aws, "PSBACKUP_S3_ENDPOINT"], line.Environment);
    }

    [Fact]
    public async Task An_encrypted_collection_names_the_variable_never_the_passphrase()
    {
        await _fx.NewCollectionAsync("sealed", passphrase: "archive secret 7", targets: new PostgreSqlClusterTarget { Name = "pg" });
        var line = await _fx.Engine.GetArchiveCommandAsync(new ArchiveCommandRequest("sealed", ["/opt/psbackup/psbackup-cli"]) { Repository = _fx.Repository });
        Assert.Equal([EngineOptions.PassphraseVariable], line.Environment);
        Assert.DoesNotContain("archive secret 7", line.ConfigurationLine, StringComparison.Ordinal);
        Assert.Equal($"/opt/psbackup/psbackup-cli archive-log --repository {_fx.Repository} --collection sealed %p %f", line.Command);
    }

    [Fact]
    public async Task A_collection_without_a_cluster_target_is_refused()
    {
        var tree = Directory.CreateDirectory(_fx.Temp.Combine("tree")).FullName;
        await _fx.NewCollectionAsync("files", targets: EngineFixture.Tree("t", tree));
        var error = await Assert.ThrowsAsync<InvalidBackupRequestException>(() =>
            _fx.Engine.GetArchiveCommandAsync(new ArchiveCommandRequest("files", ["/opt/psbackup/psbackup-cli"]) { Repository = _fx.Repository }));
        Assert.Equal("NoPointInTimeTarget", error.ErrorId);
        await Assert.ThrowsAsync<CollectionNotFoundException>(() =>
            _fx.Engine.GetArchiveCommandAsync(new ArchiveCommandRequest("nope", ["/opt/psbackup/psbackup-cli"]) { Repository = _fx.Repository }));
    }
}
