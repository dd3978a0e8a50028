#Requires -Version 7.4
<#
.SYNOPSIS
    Grandfather-father-son retention with its report: 7 daily, 4 weekly, 12 monthly backups.
.DESCRIPTION
    Applies the policy to each collection (chain-safe: a kept incremental keeps its full) and
    writes the decisions (kept or deleted, and why) to a CSV report. The run is recorded in the
    collection's run journal (Get-BackupRun -Operation Retention).
    Exit codes: 0 applied everywhere; 1 some collection failed; 2 the script could not run.
.EXAMPLE
    pwsh -NoProfile -File Invoke-GfsRetention.ps1 -Collection prod-db -Repository /srv/backup -ReportPath /srv/reports/retention.csv
#>
param(
    [Parameter(Mandatory)] [string[]] $Collection,
    [string] $Repository = $env:PSBACKUP_REPOSITORY,
    [Parameter(Mandatory)] [string] $ReportPath,
    [int] $KeepDaily = 7, [int] $KeepWeekly = 4, [int] $KeepMonthly = 12,
    [string] $ModulePath = 'PsBackup'
)
# pwsh -File passes "a,b" as one string: split it as the command line means it.
$Collection = @($Collection -split ',' | Where-Object { $_ })
try {
    Import-Module $ModulePath -ErrorAction Stop
    $common = @{}
    if ($Repository) { $common.Repository = $Repository }
    $failed = 0
    $decisions = foreach ($name in $Collection) {
        Invoke-RetentionPolicy -Collection $name -KeepDaily $KeepDaily -KeepWeekly $KeepWeekly -KeepMonthly $KeepMonthly -Confirm:$false @common -ErrorVariable errors -ErrorAction SilentlyContinue
        if ($errors.Count) { $failed++; $errors | ForEach-Object { Write-Error -ErrorRecord $_ -ErrorAction Continue } }
    }
    $decisions | Select-Object Collection, BackupId, Type, StartTime, Action, Deleted, Reasons, StoredBytes | Export-Csv -LiteralPath $ReportPath -NoTypeInformation
    exit ($failed -gt 0 ? 1 : 0)
}
catch {
    Write-Error -ErrorRecord $_ -ErrorAction Continue
    exit 2
}
