#Requires -Version 7.4
<#
.SYNOPSIS
    The DR workflow in four phases: Setup, Backup, Validate, Emergency.
.DESCRIPTION
    Setup      seeds the DR repository with every backup of the collections (Copy-Backup) and
               runs a first restore drill, so Validate has a drill to judge.
    Backup     backs the collections up and copies the new backups to the DR repository.
    Validate   Test-DrEnvironment against the DR repository: repositories, backup ages, DR copy
               lag, the last drill (and its RTO with -Rto), the archived log (-Rpo), the servers
               and their replicas. With -ReportPath the checks are written as CSV.
    Emergency  prints the DR status, then the failover plan of -Target: Start-Failover -WhatIf
               (which replica would be promoted, the estimated data loss and the limit). Nothing
               changes unless -Execute is given: then Start-Failover promotes the replica,
               repoints the collection and starts a new backup chain (refused when the estimated
               loss is above -MaxDataLoss).
    Exit codes: 0 the phase succeeded (Validate: no check failed; warnings pass); 1 it did not
    (a failed copy, backup, drill or check, a refused or failed failover: the output says which);
    2 the script itself could not run.
.EXAMPLE
    pwsh -NoProfile -File Invoke-DrWorkflow.ps1 -Phase Validate -Collection shop -Repository /srv/backup -DrRepository s3://dr-bucket/psbackup -MaxBackupAge 1:00:00 -Rto 0:30:00 -ReportPath /srv/reports/dr.csv
.EXAMPLE
    pwsh -NoProfile -File Invoke-DrWorkflow.ps1 -Phase Emergency -Collection shop -Target cache -Repository /srv/backup -DrRepository /mnt/dr -MaxDataLoss 16777216 -Execute
#>
param(
    [Parameter(Mandatory)] [ValidateSet('Setup', 'Backup', 'Validate', 'Emergency')] [string] $Phase,
    [Parameter(Mandatory)] [string[]] $Collection,
    [string] $Repository = $env:PSBACKUP_REPOSITORY,
    [Parameter(Mandatory)] [string] $DrRepository,
    [TimeSpan] $MaxBackupAge = '1.00:00:00',
    [TimeSpan] $MaxDrillAge = '7.00:00:00',
    [TimeSpan] $Rto,
    [TimeSpan] $Rpo,
    [string] $ReportPath,
    [string] $Target,
    [long] $MaxDataLoss = 0,
    [switch] $Execute,
    [string] $ModulePath = 'PsBackup'
)
# pwsh -File passes "a,b" as one string: split it as the command line means it.
$Collection = @($Collection -split ',' | Where-Object { $_ })
try {
    Import-Module $ModulePath -ErrorAction Stop
    $common = @{}
    if ($Repository) { $common.Repository = $Repository }
    $failed = 0
    $given = $PSBoundParameters
    function Write-Failure($Errors) { $script:failed++; $Errors | ForEach-Object { Write-Error -ErrorRecord $_ -ErrorAction Continue } }
    function Copy-ToDr([string] $Name) {
        $results = @(Copy-Backup -Collection $Name -DestinationRepository $DrRepository @common -Confirm:$false -ErrorVariable errors -ErrorAction SilentlyContinue)
        if ($errors.Count -gt 0 -or ($results | Where-Object Status -eq 'Failed')) { Write-Failure $errors }
        Write-Output ('{0}: {1} backup(s) copied to {2}' -f $Name, @($results | Where-Object Status -eq 'Copied').Count, $DrRepository)
    }
    function Get-DrCheck {
        $options = @{ Collection = $Collection; DrRepository = $DrRepository; MaxBackupAge = $MaxBackupAge; MaxDrillAge = $MaxDrillAge }
        if ($given.ContainsKey('Rto')) { $options.Rto = $Rto }
        if ($given.ContainsKey('Rpo')) { $options.Rpo = $Rpo }
        @(Test-DrEnvironment @options @common -ErrorAction Stop)
    }

    switch ($Phase) {
        'Setup' {
            foreach ($name in $Collection) {
                Copy-ToDr $name
                $drill = @(Invoke-RestoreDrill -Collection $name @common -Confirm:$false -ErrorVariable errors -ErrorAction SilentlyContinue)
                $drillFailed = @($drill | Where-Object Status -ne 'Passed')
                if ($errors.Count -gt 0 -or $drill.Count -eq 0 -or $drillFailed.Count -gt 0) { Write-Failure $errors }
                Write-Output ('{0}: drill of {1} target(s), {2} failed' -f $name, $drill.Count, $drillFailed.Count)
            }
        }
        'Backup' {
            foreach ($name in $Collection) {
                $backup = Invoke-Backup -Name $name @common -ErrorVariable errors -ErrorAction SilentlyContinue
                if ($errors.Count -gt 0 -or -not $backup) { Write-Failure $errors; continue }
                Write-Output ('{0}: {1} backup {2}' -f $name, $backup.Type, $backup.Id)
                Copy-ToDr $name
            }
        }
        'Validate' {
            $checks = Get-DrCheck
            if ($ReportPath) { $checks | Export-Csv -LiteralPath $ReportPath -NoTypeInformation }
            foreach ($check in $checks | Where-Object Status -ne 'Pass') {
                if ($check.Status -eq 'Fail') { $failed++ }
                Write-Output ('{0} {1} {2} {3}: {4}' -f $check.Status, $check.Check, $check.Collection, $check.Target, $check.Message)
            }
            Write-Output ('{0} check(s), {1} failed' -f $checks.Count, @($checks | Where-Object Status -eq 'Fail').Count)
        }
        'Emergency' {
            if ($Collection.Count -ne 1) { throw 'Emergency fails over one collection: give one -Collection.' }
            # The status first: what the DR copy holds and which servers answer, for the incident log.
            foreach ($check in Get-DrCheck | Where-Object Status -ne 'Pass') {
                Write-Output ('{0} {1} {2} {3}: {4}' -f $check.Status, $check.Check, $check.Collection, $check.Target, $check.Message)
            }
            $failover = @{ Collection = $Collection[0]; MaxDataLoss = $MaxDataLoss }
            if ($Target) { $failover.Target = $Target }
            if (-not $Execute) {
                # -WhatIf: the plan is printed on the host; an impossible failover is still an error.
                Start-Failover @failover @common -WhatIf -ErrorVariable errors -ErrorAction SilentlyContinue
                if ($errors.Count -gt 0) { Write-Failure $errors }
                else { Write-Output 'Plan only: run again with -Execute to fail over.' }
            }
            else {
                $steps = @(Start-Failover @failover @common -Confirm:$false -ErrorVariable errors -ErrorAction SilentlyContinue)
                $steps | Where-Object Step | ForEach-Object { Write-Output ('{0} {1} {2}: {3}' -f $_.Step, $_.Target, $_.Status, $_.Detail) }
                if ($errors.Count -gt 0 -or $steps.Count -eq 0 -or ($steps | Where-Object { $_.Step -and $_.Status -notin 'Done', 'Skipped' })) { Write-Failure $errors }
            }
        }
    }
    exit ($failed -gt 0 ? 1 : 0)
}
catch {
    Write-Error -ErrorRecord $_ -ErrorAction Continue
    exit 2
}
