#Requires -Version 7.4
<#
.SYNOPSIS
    Runs the Pester tests of tests/pester against the built module (out/PsBackup/<version>/) with
    the pinned Pester 5.9.1, and ends with one line ".. passed, .. failed" that .ci/run counts.

.DESCRIPTION
    Used by .ci/run and by build.ps1's Pester task, each in a fresh pwsh (an imported binary
    module cannot be unloaded). Exits 0 only when every test ran and passed; a missing Pester, a
    file that fails to load, a failing BeforeAll or a run that found no test all exit non-zero.
    The engine-side tests need the peers of tests/peers (PSBACKUP_TEST_* variables).

.PARAMETER FullNameFilter
    Run only the tests whose full name ("Describe.Context.It") is -like one of these.

.PARAMETER ResultPath
    Where to write the NUnit XML result (default TestResults/pester.xml at the repository root).
#>
[CmdletBinding()]
param(
    [string[]] $Path = @($PSScriptRoot),
    [string[]] $FullNameFilter,
    [string] $ResultPath = (Join-Path $PSScriptRoot '..' '..' 'TestResults' 'pester.xml'),
    [ValidateSet('None', 'Normal', 'Detailed', 'Diagnostic')]
    [string] $Verbosity = 'Detailed'
)

# No Set-StrictMode or $ErrorActionPreference here: both would reach the tests, which run as a user's session does.
. (Join-Path $PSScriptRoot 'PsBackup.TestHelpers.ps1')

try {
    Import-PinnedPester
    $null = Get-PsBackupModuleManifest # fails early, with the build command, when the module is not built
}
catch {
    Write-Host "Pester: 0 passed, 1 failed ($($_.Exception.Message))" -ForegroundColor Red
    exit 1
}

$configuration = New-PesterConfiguration
$configuration.Run.Path = $Path
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = $Verbosity
$configuration.TestResult.Enabled = $true
$configuration.TestResult.OutputPath = [System.IO.Path]::GetFullPath($ResultPath)
if ($FullNameFilter) { $configuration.Filter.FullName = $FullNameFilter }
$null = New-Item -ItemType Directory -Path (Split-Path -Parent $configuration.TestResult.OutputPath.Value) -Force

$result = Invoke-Pester -Configuration $configuration
if (-not $result) {
    Write-Host "Pester: 0 passed, 1 failed (Invoke-Pester returned no result for $($Path -join ', '))" -ForegroundColor Red
    exit 1
}

# A file that does not load counts as a failed test; so does a failing AfterAll (a block failure
# without any failed test). Skipped tests are failures of the suite (the project skips none); tests
# left out by -FullNameFilter are not counted.
$failed = $result.FailedCount + $result.FailedContainersCount
if ($failed -eq 0 -and $result.FailedBlocksCount) { $failed = $result.FailedBlocksCount }
$skipped = $result.SkippedCount + $result.InconclusiveCount + ($FullNameFilter ? 0 : $result.NotRunCount)
$line = "Pester: $($result.PassedCount) passed, $failed failed" + ($skipped ? ", $skipped skipped or not run" : '')
if ($result.PassedCount + $failed -eq 0) {
    Write-Host "$line (no test ran)" -ForegroundColor Red
    exit 1
}
$ok = $failed -eq 0 -and $skipped -eq 0 -and $result.Result -eq 'Passed'
Write-Host $line -ForegroundColor ($ok ? 'Green' : 'Red')
exit ($ok ? 0 : 1)
