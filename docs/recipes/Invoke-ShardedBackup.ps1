#Requires -Version 7.4
<#
.SYNOPSIS
    Coordinated microservice and sharded backups: every shard (or service) backed up in one run,
    then the shard-consistency check.
.DESCRIPTION
    Invoke-Backup backs up all the collections at once (-Collection takes names and wildcards such
    as 'shard-*', -CollectionThrottleLimit of them at a time). Then the shard-consistency check:
    every shard's newest backup must exist, be Complete (no failed target) and have started
    within -MaxSkew of the others, so the set can be restored as one point in time. A shard whose
    backup failed in this run fails the check too: its newest backup is an older one.
    Exit codes: 0 every shard backed up and the set is consistent; 1 some shard failed or the
    set is not consistent (the output says which shard and why); 2 the script itself could not
    run.
.EXAMPLE
    pwsh -NoProfile -File Invoke-ShardedBackup.ps1 -Collection 'shard-*' -Repository /srv/backup -CollectionThrottleLimit 4 -MaxSkew 0:05:00
#>
param(
    [Parameter(Mandatory)] [string[]] $Collection,
    [string] $Repository = $env:PSBACKUP_REPOSITORY,
    [int] $CollectionThrottleLimit = 4,
    [TimeSpan] $MaxSkew = '0:05:00',
    [switch] $Incremental,
    [string] $ModulePath = 'PsBackup'
)
# pwsh -File passes "a,b" as one string: split it as the command line means it.
$Collection = @($Collection -split ',' | Where-Object { $_ })
try {
    Import-Module $ModulePath -ErrorAction Stop
    $common = @{}
    if ($Repository) { $common.Repository = $Repository }
    # The shards are resolved before the run, so a shard that fails still takes part in the check.
    $shards = @(Get-BackupCollection -Name $Collection @common -ErrorAction Stop | Select-Object -ExpandProperty Name | Sort-Object -Unique)
    if ($shards.Count -eq 0) { throw "No collection matches '$($Collection -join "', '")'." }
    $failed = 0
    $backups = @(Invoke-Backup -Name $shards -CollectionThrottleLimit $CollectionThrottleLimit -Incremental:$Incremental @common -ErrorVariable errors -ErrorAction SilentlyContinue)
    if ($errors.Count -gt 0) {
        $failed++
        $errors | ForEach-Object { Write-Error -ErrorRecord $_ -ErrorAction Continue }
    }
    foreach ($backup in $backups) { Write-Output ('{0}: {1} backup {2} started {3:o}' -f $backup.Collection, $backup.Type, $backup.Id, $backup.StartTime) }

    # The shard-consistency check.
    $latest = foreach ($shard in $shards) {
        $newest = Get-Backup -Collection $shard -Latest @common -ErrorAction Stop
        if (-not $newest) { $failed++; Write-Output "${shard}: inconsistent: it has no backup"; continue }
        if ($newest.Status -ne 'Complete') { $failed++; Write-Output "${shard}: inconsistent: its newest backup $($newest.Id) is $($newest.Status)" }
        $newest
    }
    if ($latest) {
        $sorted = @($latest | Sort-Object StartTime)
        $first = $sorted[0].StartTime
        $last = $sorted[-1].StartTime
        $skew = $last - $first
        foreach ($backup in $latest | Where-Object { ($last - $_.StartTime) -gt $MaxSkew }) {
            $failed++
            Write-Output ('{0}: inconsistent: its newest backup {1} started {2} before the newest shard''s (max skew {3})' -f $backup.Collection, $backup.Id, ($last - $backup.StartTime), $MaxSkew)
        }
        Write-Output ('{0} shard(s); newest backups started within {1} (max skew {2})' -f $shards.Count, $skew, $MaxSkew)
    }
    exit ($failed -gt 0 ? 1 : 0)
}
catch {
    Write-Error -ErrorRecord $_ -ErrorAction Continue
    exit 2
}
