#Requires -Version 7.4
<#
.SYNOPSIS
    Daily incrementals with a weekly full, then the metrics for Prometheus.
.DESCRIPTION
    Backs up each collection: a full backup on -FullBackupDay (and whenever the collection has no
    full backup in the last 7 days, or no backup at all), an incremental otherwise. Every run is
    recorded in the collection's run journal, failed ones too. With -MetricsPath the metrics are
    exported afterwards, so an alert on a failed run fires at once.
    Exit codes: 0 every collection backed up; 1 some target or collection failed (the run journal
    and the error stream say which); 2 the script itself could not run (no module, no repository).
.EXAMPLE
    pwsh -NoProfile -File Invoke-NightlyBackup.ps1 -Collection prod-db, prod-files -Repository /srv/backup -MetricsPath /var/lib/prometheus/node-exporter/psbackup.prom
#>
param(
    [Parameter(Mandatory)] [string[]] $Collection,
    [string] $Repository = $env:PSBACKUP_REPOSITORY,
    [System.DayOfWeek] $FullBackupDay = 'Sunday',
    [string] $MetricsPath,
    [string] $ModulePath = 'PsBackup'
)
# pwsh -File passes "a,b" as one string: split it as the command line means it.
$Collection = @($Collection -split ',' | Where-Object { $_ })
try {
    Import-Module $ModulePath -ErrorAction Stop
    $common = @{}
    if ($Repository) { $common.Repository = $Repository }
    $failed = 0
    foreach ($name in $Collection) {
        $newestFull = Get-Backup -Collection $name -Type Full -Latest @common -ErrorAction Stop
        $full = (Get-Date).DayOfWeek -eq $FullBackupDay -or -not $newestFull -or $newestFull.StartTime -lt [DateTimeOffset]::UtcNow.AddDays(-7)
        $backup = Invoke-Backup -Name $name -Incremental:(-not $full) @common -ErrorVariable errors -ErrorAction SilentlyContinue
        if ($errors.Count -gt 0 -or -not $backup) {
            $failed++
            $errors | ForEach-Object { Write-Error -ErrorRecord $_ -ErrorAction Continue }
        }
        else {
            Write-Output ('{0}: {1} backup {2} ({3} bytes)' -f $name, $backup.Type, $backup.Id, $backup.SizeBytes)
        }
    }
    if ($MetricsPath) { Export-BackupMetrics -Collection $Collection -Path $MetricsPath @common -ErrorAction Stop }
    exit ($failed -gt 0 ? 1 : 0)
}
catch {
    Write-Error -ErrorRecord $_ -ErrorAction Continue
    exit 2
}
