using System.Management.Automation;
using PsBackup.Completers;
using PsBackup.Engine;
using PsBackup.Engine.Operations;
using PsBackup.Infrastructure;

namespace PsBackup.Commands;

/// <summary>
/// <para type="synopsis">Prints the archive_command line that hands each finished WAL file of a PostgreSQL cluster collection to the archiver shipped in this module.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "BackupArchiveCommand")]
[OutputType(typeof(ArchiveCommand))]
public sealed class GetBackupArchiveCommandCommand : RepositoryCmdlet
{
    /// <summary>The collection (it must exist in the repository and hold a PostgreSQL cluster target).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(CollectionNameCompleter))]
    public string Collection { get; set; } = "";

    /// <summary>Further repositories that get every file too (disaster-recovery copies of the collection).</summary>
    [Parameter]
    public string[]? CopyRepository { get; set; }

    /// <summary>For an encrypted collection: a file on the database host holding the passphrase (readable by PostgreSQL's user only). Default: $env:PSBACKUP_PASSPHRASE in PostgreSQL's environment.</summary>
    [Parameter]
    public string? PassphraseFile { get; set; }

    /// <summary>The archiver program as the database host runs it (and its first arguments). Default: this module's archiver/psbackup-cli.</summary>
    [Parameter]
    public string[]? Archiver { get; set; }

    protected override void ProcessRecord()
    {
        var request = new ArchiveCommandRequest(Collection, Archiver ?? [])
        {
            Repository = Address(),
            Copies = [.. (CopyRepository ?? []).Select(r => (RepositoryAddress)(r.Contains("://", StringComparison.Ordinal) ? r : ResolvePath(r)))],
            PassphraseFile = PassphraseFile == null ? null : ResolvePath(PassphraseFile),
        };
        RunEngine(Collection, async (engine, bridge, ct) =>
        {
            if (Archiver == null) request = request with { Archiver = ShippedArchiver.Command() };
            bridge.Output(await engine.GetArchiveCommandAsync(request, ct));
        });
    }
}
