#Requires -Version 7.4
<#
.SYNOPSIS
    Runs every Pester test alone (-FullNameFilter with its full name, so only its own setup
    runs) and reports each that does not pass: proof that no test depends on what another test
    left behind. Needs the test peers (tests/peers) and the built module, like the suite.

.EXAMPLE
    dotnet pwsh tests/pester/Test-PesterAlone.ps1
#>
[CmdletBinding()]
param(
    [string[]] $Path = @($PSScriptRoot)
)

. (Join-Path $PSScriptRoot 'PsBackup.TestHelpers.ps1')
Import-PinnedPester
Import-Module (Get-PsBackupModuleManifest) -Force -ErrorAction Stop
$cmdlets = (Import-PowerShellDataFile -LiteralPath (Join-Path (Get-PsBackupRepoRoot) 'PsBackup.psd1')).CmdletsToExport
$inventory = @(Get-PesterTestInventory -Path $Path -CmdletName $cmdlets)
Write-Host "$($inventory.Count) tests, each run alone"

$failures = [System.Collections.Generic.List[string]]::new()
foreach ($test in $inventory) {
    $configuration = New-PesterConfiguration
    $configuration.Run.Path = $test.File
    $configuration.Run.PassThru = $true
    $configuration.Output.Verbosity = 'None'
    $configuration.Filter.FullName = [WildcardPattern]::Escape($test.FullName)
    $result = Invoke-Pester -Configuration $configuration 6>$null
    # Data-driven tests run all their rows; each must pass, and at least one must have run.
    $ran = @($result.Tests | Where-Object { ($_.Path -join '.') -eq $test.FullName })
    $passed = $ran.Count -gt 0 -and -not ($ran | Where-Object Result -ne 'Passed') -and $result.FailedBlocksCount -eq 0 -and $result.FailedContainersCount -eq 0
    if (-not $passed) {
        $failures.Add($test.FullName)
        Write-Host "  FAILED alone: $($test.FullName)" -ForegroundColor Red
    }
}
Write-Host ("Alone: {0} tests run alone, {1} passed, {2} failed" -f $inventory.Count, ($inventory.Count - $failures.Count), $failures.Count) `
    -ForegroundColor ($failures.Count ? 'Red' : 'Green')
exit ($failures.Count ? 1 : 0)
