using System.Management.Automation;

using PsBackup.Completers;

namespace PsBackup.Infrastructure;

/// <summary>
/// Base of the cmdlets that address one committed backup: its id and (optionally) collection,
/// bound by property name from Get-Backup's objects.
/// </summary>
public abstract class BackupAddressCmdlet : RepositoryCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("BackupId")]
    [ArgumentCompleter(typeof(BackupIdCompleter))]
    public string Id { get; set; } = "";

    /// <summary>The backup's collection; found from the id when omitted.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(CollectionNameCompleter))]
    public string? Collection { get; set; }
}
