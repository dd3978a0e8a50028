#Requires -Version 7.4
<#
.SYNOPSIS
    The DR status report and the metrics export: per collection its last backup, verification,
    drill and copy from the run journal, as CSV; the Prometheus metrics beside it.
.DESCRIPTION
    One row per collection: newest backup run (outcome, ErrorId, age), newest Test-Backup, newest
    drill (outcome, measured RTO) and newest DR copy. With -MetricsPath the metrics are written
    too (atomically, for node_exporter's textfile collector).
    Exit codes: 0 every last backup, verification, drill and copy succeeded; 1 some last run did
    not (the report says which); 2 the script could not run.
.EXAMPLE
    pwsh -NoProfile -File Export-BackupReport.ps1 -Repository /srv/backup -ReportPath /srv/reports/dr-status.csv -MetricsPath /var/lib/prometheus/node-exporter/psbackup.prom
#>
param(
    [string] $Repository = $env:PSBACKUP_REPOSITORY,
    [Parameter(Mandatory)] [string] $ReportPath,
    [string] $MetricsPath,
    [string] $ModulePath = 'PsBackup'
)
try {
    Import-Module $ModulePath -ErrorAction Stop
    $common = @{}
    if ($Repository) { $common.Repository = $Repository }
    $rows = foreach ($collection in Get-BackupCollection @common -ErrorAction Stop) {
        $last = @{}
        foreach ($operation in 'Backup', 'Verify', 'Drill', 'Copy') {
            $last[$operation] = Get-BackupRun -Collection $collection.Name -Operation $operation -Last 1 @common -ErrorAction Stop
        }
        [pscustomobject]@{
            Collection        = $collection.Name
            LastBackupOutcome = $last.Backup.Outcome
            LastBackupErrorId = $last.Backup.ErrorId
            LastBackupAgeHours = if ($last.Backup) { [math]::Round(([DateTimeOffset]::UtcNow - $last.Backup.EndTime).TotalHours, 1) }
            LastVerifyOutcome = $last.Verify.Outcome
            LastDrillOutcome  = $last.Drill.Outcome
            LastDrillRto      = $last.Drill.RestoreDuration
            LastCopyOutcome   = $last.Copy.Outcome
            LastCopyTarget    = $last.Copy.Target
        }
    }
    $rows | Export-Csv -LiteralPath $ReportPath -NoTypeInformation
    if ($MetricsPath) { Export-BackupMetrics -Path $MetricsPath @common -ErrorAction Stop }
    $bad = @($rows | Where-Object { @($_.LastBackupOutcome, $_.LastVerifyOutcome, $_.LastDrillOutcome, $_.LastCopyOutcome) | Where-Object { $_ -and $_ -ne 'Succeeded' } })
    $bad | ForEach-Object { Write-Warning "$($_.Collection): last backup $($_.LastBackupOutcome) $($_.LastBackupErrorId)" }
    exit ($bad.Count -gt 0 ? 1 : 0)
}
catch {
    Write-Error -ErrorRecord $_ -ErrorAction Continue
    exit 2
}
