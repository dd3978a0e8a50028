#Requires -Version 7.4
<#
.SYNOPSIS
    The multi-region copy and its regional validation: copy what the second repository lacks,
    verify the copy there, and check how far it lags behind the primary.
.DESCRIPTION
    For each collection: Copy-Backup to -DestinationRepository (only the backups it lacks, each
    verified at the destination as it is written); then the regional validation, which reads the
    copy, not the primary: Test-Backup of the copy's newest backup (every artifact of its chain
    re-read and its SHA-256 compared) and Test-DrEnvironment -DrRepository for the copy's
    presence, age and lag (DrCopyLag: the copy holds the primary's newest backup, or lags by at
    most -MaxLag). With -ValidateOnly nothing is copied: schedule that in the second region, so a
    copy job that silently stopped is noticed there. Copies and verifications are recorded in the
    run journal (Get-BackupRun -Operation Copy, Verify).
    Exit codes: 0 every collection copied, verified and within -MaxLag; 1 some copy, verification
    or lag check failed (the output says which); 2 the script itself could not run.
.EXAMPLE
    pwsh -NoProfile -File Invoke-RegionalCopy.ps1 -Collection prod-db,prod-files -Repository s3://backups-eu/prod -DestinationRepository s3://backups-us/prod -DestinationS3Region us-east-1 -MaxLag 1.00:00:00
#>
param(
    [Parameter(Mandatory)] [string[]] $Collection,
    [string] $Repository = $env:PSBACKUP_REPOSITORY,
    [Parameter(Mandatory)] [string] $DestinationRepository,
    [string] $DestinationS3Endpoint,
    [string] $DestinationS3Region,
    [TimeSpan] $MaxLag = '1.00:00:00',
    [switch] $ValidateOnly,
    [string] $ModulePath = 'PsBackup'
)
# pwsh -File passes "a,b" as one string: split it as the command line means it.
$Collection = @($Collection -split ',' | Where-Object { $_ })
try {
    Import-Module $ModulePath -ErrorAction Stop
    $common = @{}
    if ($Repository) { $common.Repository = $Repository }
    $destination = @{ Repository = $DestinationRepository }
    $copyDestination = @{ DestinationRepository = $DestinationRepository }
    $dr = @{ DrRepository = $DestinationRepository }
    if ($DestinationS3Endpoint) { $destination.S3Endpoint = $copyDestination.DestinationS3Endpoint = $dr.DrS3Endpoint = $DestinationS3Endpoint }
    if ($DestinationS3Region) { $destination.S3Region = $copyDestination.DestinationS3Region = $dr.DrS3Region = $DestinationS3Region }
    $failed = 0
    foreach ($name in $Collection) {
        if (-not $ValidateOnly) {
            $results = @(Copy-Backup -Collection $name @copyDestination @common -Confirm:$false -ErrorVariable errors -ErrorAction SilentlyContinue)
            $bad = @($results | Where-Object Status -eq 'Failed')
            if ($errors.Count -gt 0 -or $bad.Count -gt 0) {
                $failed++
                $errors | ForEach-Object { Write-Error -ErrorRecord $_ -ErrorAction Continue }
            }
            $copied = @($results | Where-Object Status -eq 'Copied').Count
            Write-Output ('{0}: {1} backup(s) copied, {2} already there, {3} failed' -f $name, $copied, @($results | Where-Object Status -eq 'AlreadyPresent').Count, $bad.Count)
        }
        # Regional validation: the copy's newest backup read back in the destination region.
        $latest = Get-Backup -Collection $name -Latest @destination -ErrorAction SilentlyContinue -ErrorVariable errors
        if (-not $latest) {
            $failed++
            $errors | ForEach-Object { Write-Error -ErrorRecord $_ -ErrorAction Continue }
            Write-Output "${name}: no backup in $DestinationRepository"
            continue
        }
        $verification = @($latest | Test-Backup @destination -ErrorVariable errors -ErrorAction SilentlyContinue)
        $notOk = @($verification | Where-Object Status -ne 'Ok')
        if ($errors.Count -gt 0 -or $verification.Count -eq 0 -or $notOk.Count -gt 0) {
            $failed++
            $errors | ForEach-Object { Write-Error -ErrorRecord $_ -ErrorAction Continue }
            $notOk | ForEach-Object { Write-Output ('{0}: copy {1} {2} {3}: {4}' -f $name, $_.ArtifactBackupId, $_.Artifact, $_.Status, $_.Message) }
        }
        else {
            Write-Output ('{0}: copy {1} verified ({2} artifacts)' -f $name, $latest.Id, $verification.Count)
        }
    }
    # Presence, age and lag of the copy against the primary; drills and servers are another recipe's business.
    $checks = @(Test-DrEnvironment -Collection $Collection @dr -MaxBackupAge $MaxLag @common -ErrorAction Stop |
        Where-Object Check -in 'RepositoryReachable', 'CollectionPresent', 'DrCopyLag')
    foreach ($check in $checks) {
        if ($check.Status -eq 'Fail') { $failed++ }
        if ($check.Status -ne 'Pass') { Write-Output ('{0} {1} {2}: {3}' -f $check.Status, $check.Check, $check.Collection, $check.Message) }
    }
    exit ($failed -gt 0 ? 1 : 0)
}
catch {
    Write-Error -ErrorRecord $_ -ErrorAction Continue
    exit 2
}
