#Requires -Version 7.4
<#
.SYNOPSIS
    Proves the Pester tests can fail: for each PsBackup cmdlet, runs the tests that call it
    against a stub of that cmdlet that does nothing, and against one that only writes a
    non-terminating error, and checks that every test calling it in its It block fails.

.DESCRIPTION
    The stub is a global function with the cmdlet's own parameters (ProxyCommand), which
    PowerShell runs instead of the cmdlet (functions come before cmdlets). Each cmdlet and mode
    runs only the tests that call the cmdlet, in their It block or in the setup around them, in
    this process, one run after the other; -FullNameFilter selects them.

    Exercised tests (the cmdlet is called in the It block) must fail: one that passes is a
    violation and the script exits 1. Tests that only share a setup calling the cmdlet are run
    too and counted; they need not fail (they check something else), and are listed with
    -ShowSetupOnly. Needs the test peers (tests/peers) and the built module, like the suite.

.EXAMPLE
    dotnet pwsh tests/pester/Test-PesterStubs.ps1

.EXAMPLE
    dotnet pwsh tests/pester/Test-PesterStubs.ps1 -Cmdlet Invoke-Backup -Mode Nothing
#>
[CmdletBinding()]
param(
    [string[]] $Cmdlet,
    [ValidateSet('Nothing', 'Error')]
    [string[]] $Mode = @('Nothing', 'Error'),
    [string[]] $Path = @($PSScriptRoot),
    [switch] $ShowSetupOnly
)

. (Join-Path $PSScriptRoot 'PsBackup.TestHelpers.ps1')
Import-PinnedPester
Import-Module (Get-PsBackupModuleManifest) -Force -ErrorAction Stop
$all = (Import-PowerShellDataFile -LiteralPath (Join-Path (Get-PsBackupRepoRoot) 'PsBackup.psd1')).CmdletsToExport
if (-not $Cmdlet) { $Cmdlet = $all }
$inventory = @(Get-PesterTestInventory -Path $Path -CmdletName $all)
Write-Host "$($inventory.Count) tests; stubbing $($Cmdlet.Count) cmdlet(s), modes: $($Mode -join ', ')"

function New-Stub([string] $Name, [string] $Kind) {
    $metadata = [System.Management.Automation.CommandMetadata]::new((Get-Command -Name $Name -CommandType Cmdlet -Module PsBackup))
    $body = if ($Kind -eq 'Nothing') { 'process { }' } else {
        'process { $PSCmdlet.WriteError([System.Management.Automation.ErrorRecord]::new([System.Exception]::new("stub of ' + $Name + '"), "PsBackupStub", "NotSpecified", $null)) }'
    }
    [scriptblock]::Create(@(
            [System.Management.Automation.ProxyCommand]::GetCmdletBindingAttribute($metadata)
            'param('
            [System.Management.Automation.ProxyCommand]::GetParamBlock($metadata)
            ')'
            $body
        ) -join "`n")
}

$rows = foreach ($name in $Cmdlet) {
    $exercising = @($inventory | Where-Object { $_.Exercised -contains $name })
    $sharing = @($inventory | Where-Object { $_.Exercised -notcontains $name -and $_.Setup -contains $name })
    foreach ($kind in $Mode) {
        if ($exercising.Count + $sharing.Count -eq 0) {
            [pscustomobject]@{ Cmdlet = $name; Stub = $kind; Exercising = 0; Failed = 0; Violations = @(); SetupOnly = 0; SetupOnlyPassed = @() }
            continue
        }
        $configuration = New-PesterConfiguration
        $configuration.Run.Path = @($exercising + $sharing | ForEach-Object File | Sort-Object -Unique)
        $configuration.Run.PassThru = $true
        $configuration.Output.Verbosity = 'None'
        $configuration.Filter.FullName = @($exercising + $sharing | ForEach-Object { [WildcardPattern]::Escape($_.FullName) })
        Set-Item -LiteralPath "function:global:$name" -Value (New-Stub $name $kind)
        try {
            # The stubs' own errors (and the tests' reactions) are the point, not news: kept off the screen.
            $result = Invoke-Pester -Configuration $configuration 2>$null 6>$null
        }
        finally {
            Remove-Item -LiteralPath "function:global:$name"
        }
        # By template name (Path): a data-driven test fails when any of its rows fails.
        $failedNames = @($result.Tests | Where-Object Result -eq 'Failed' | ForEach-Object { $_.Path -join '.' })
        $violations = @($exercising | Where-Object { $failedNames -notcontains $_.FullName } | ForEach-Object FullName)
        $setupPassed = @($sharing | Where-Object { $failedNames -notcontains $_.FullName } | ForEach-Object FullName)
        [pscustomobject]@{
            Cmdlet = $name; Stub = $kind
            Exercising = $exercising.Count; Failed = $exercising.Count - $violations.Count; Violations = $violations
            SetupOnly = $sharing.Count; SetupOnlyPassed = $setupPassed
        }
        Write-Host ('{0,-30} {1,-7} exercising tests failed: {2,3} of {3,3}; setup-only tests failed: {4,3} of {5,3}' -f
            $name, $kind, ($exercising.Count - $violations.Count), $exercising.Count, ($sharing.Count - $setupPassed.Count), $sharing.Count)
        foreach ($v in $violations) { Write-Host "    PASSED against the stub: $v" -ForegroundColor Red }
        if ($ShowSetupOnly) { foreach ($p in $setupPassed) { Write-Host "    (setup only, passed) $p" -ForegroundColor DarkGray } }
    }
}

$cases = ($rows | Measure-Object -Property Exercising -Sum).Sum
$violationCount = ($rows | ForEach-Object { $_.Violations.Count } | Measure-Object -Sum).Sum
$untested = @($rows | Where-Object Exercising -eq 0 | ForEach-Object Cmdlet | Sort-Object -Unique)
if ($untested) { Write-Host "No test calls: $($untested -join ', ')" -ForegroundColor Red }
Write-Host ("Stub proof: {0} test-and-stub cases, {1} failed as they must, {2} passed against a stub" -f $cases, ($cases - $violationCount), $violationCount) `
    -ForegroundColor ($violationCount -or $untested ? 'Red' : 'Green')
exit ($violationCount -or $untested ? 1 : 0)
