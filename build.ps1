#Requires -Version 7.4
<#
.SYNOPSIS
    Builds and tests PsBackup: the PowerShell-native wrapper around dotnet and Pester.

.DESCRIPTION
    Tasks (several may be given; they run in this order):

      Build   dotnet build PsBackup.sln. The build assembles the importable module in
              out/PsBackup/<version>/ (no PowerShell is needed for that).
      Test    dotnet test PsBackup.sln: engine tests (they need the test servers of tests/peers:
              run tests/peers/start.sh first, or pass -StartPeers) and contract tests.
      Pester  tests/pester/Invoke-PesterSuite.ps1 in a child pwsh (so the imported module does
              not stay loaded in this session): the Pester tests against the built module, with
              Pester 5.9.1 (restored by the build; the task fails when it is missing). Some
              tests need the test servers too.
      Help    Regenerates module/en-US/PsBackup.dll-Help.xml from docs/cmdlets/*.md (python3).
      All     Build, Test and Pester.

.PARAMETER Task
    What to do: Build, Test, Pester, Help or All (the default).

.PARAMETER Configuration
    Debug (default) or Release.

.PARAMETER StartPeers
    Before Test and Pester, install and start the test servers (tests/peers/install.sh and
    start.sh, Linux only, as root or with sudo rights for apt); stop them after.

.EXAMPLE
    ./build.ps1

.EXAMPLE
    ./build.ps1 -Task Build, Pester -Configuration Release

.EXAMPLE
    dotnet tool restore; dotnet pwsh ./build.ps1 -StartPeers

    With the pwsh this repository pins (dotnet-tools.json), on a machine without PowerShell.
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Pester', 'Help', 'All')]
    [string[]] $Task = @('All'),

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Debug',

    [switch] $StartPeers
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

$root = $PSScriptRoot
$solution = Join-Path $root 'PsBackup.sln'
$pesterTests = Join-Path $root 'tests' 'pester'

function Write-Step([string] $Text) {
    Write-Host ''
    Write-Host "=== $Text" -ForegroundColor Cyan
}

function Invoke-Native {
    # Runs a program and throws when its exit code is not 0.
    param(
        [Parameter(Mandatory)] [string] $FilePath,
        [string[]] $ArgumentList = @()
    )
    Write-Host "> $FilePath $($ArgumentList -join ' ')" -ForegroundColor DarkGray
    & $FilePath @ArgumentList
    if ($LASTEXITCODE -ne 0) {
        throw "'$FilePath $($ArgumentList -join ' ')' failed with exit code $LASTEXITCODE."
    }
}

function Get-ModuleManifestPath {
    $version = (Import-PowerShellDataFile -LiteralPath (Join-Path $root 'PsBackup.psd1')).ModuleVersion
    Join-Path $root 'out' 'PsBackup' $version 'PsBackup.psd1'
}

function Invoke-BuildTask {
    Write-Step "Build ($Configuration)"
    Invoke-Native dotnet @('build', $solution, '-c', $Configuration, '--nologo')
    Write-Host "Module: $(Split-Path -Parent (Get-ModuleManifestPath))"
}

function Invoke-TestTask([bool] $AlreadyBuilt) {
    Write-Step "Test ($Configuration)"
    $arguments = @('test', $solution, '-c', $Configuration, '--nologo')
    if ($AlreadyBuilt) { $arguments += '--no-build' }
    if (-not $StartPeers) {
        Write-Host 'The engine tests need the test servers; start them with tests/peers/start.sh (or pass -StartPeers).'
    }
    Invoke-Native dotnet $arguments
}

function Get-ChildPwsh {
    # How to start another pwsh like this one, as a program and its first arguments. Inside a
    # pwsh run as a .NET tool, the process is dotnet (`dotnet pwsh`, or `dotnet pwsh.dll`
    # without the tool's launcher), so (Get-Process -Id $PID).Path would start dotnet, not pwsh:
    # run the same pwsh.dll with the same dotnet, which always finds its runtime. Anywhere else
    # the process is pwsh itself, in $PSHOME.
    $process = [Environment]::ProcessPath
    $dll = Join-Path $PSHOME 'pwsh.dll'
    if ([System.IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet' -and (Test-Path -LiteralPath $dll -PathType Leaf)) {
        return @($process, $dll)
    }
    $exe = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
    if (Test-Path -LiteralPath $exe -PathType Leaf) { return @($exe) }
    throw "Cannot find how to start pwsh: neither '$exe' nor 'dotnet $dll' exists."
}

function Invoke-PesterTask {
    Write-Step "Pester ($Configuration)"
    $cli = Join-Path $root 'tools' 'PsBackup.Cli' 'bin' $Configuration 'net10.0' 'psbackup-cli.dll'
    if (-not (Test-Path -LiteralPath (Get-ModuleManifestPath) -PathType Leaf) -or -not (Test-Path -LiteralPath $cli -PathType Leaf)) {
        Write-Host 'The module or psbackup-cli is not built yet; building them.'
        Invoke-Native dotnet @('build', $solution, '-c', $Configuration, '--nologo')
    }
    # A child pwsh: importing the binary module would otherwise keep its DLLs loaded in this
    # session. Invoke-PesterSuite.ps1 imports Pester 5.9.1 and fails (exit 1) when it is missing,
    # when a test fails or when none ran.
    $pwsh = @(Get-ChildPwsh)
    $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', (Join-Path $pesterTests 'Invoke-PesterSuite.ps1'))
    Invoke-Native $pwsh[0] $arguments
}

function Invoke-HelpTask {
    Write-Step 'Help'
    $python = Get-Command -Name python3, python -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if (-not $python) {
        Write-Warning 'python3 is not installed, so module/en-US/PsBackup.dll-Help.xml was not regenerated.'
        return
    }
    Invoke-Native $python.Source @((Join-Path $root 'docs' 'cmdlets' 'generate_maml.py'))
}

$selected = if ($Task -contains 'All') { @('Build', 'Test', 'Pester') + @($Task | Where-Object { $_ -eq 'Help' }) } else { $Task }
$needPeers = $StartPeers -and ($selected -contains 'Test' -or $selected -contains 'Pester')
if ($needPeers) {
    if (-not $IsLinux) {
        throw '-StartPeers works on Linux only (tests/peers/*.sh start PostgreSQL, Redis and Node servers as local processes).'
    }
    Write-Step 'Test servers'
    Invoke-Native bash @((Join-Path $root 'tests' 'peers' 'install.sh'))
}
$built = $false
try {
    foreach ($step in 'Help', 'Build', 'Test', 'Pester') {
        if ($selected -notcontains $step) { continue }
        if ($needPeers -and $step -in 'Test', 'Pester') {
            Invoke-Native bash @((Join-Path $root 'tests' 'peers' 'start.sh')) # idempotent
        }
        switch ($step) {
            'Help' { Invoke-HelpTask }
            'Build' { Invoke-BuildTask; $built = $true }
            'Test' { Invoke-TestTask -AlreadyBuilt $built }
            'Pester' { Invoke-PesterTask }
        }
    }
}
finally {
    if ($needPeers) { & bash (Join-Path $root 'tests' 'peers' 'stop.sh') }
}
Write-Host ''
Write-Host "build.ps1: $($selected -join ', ') done." -ForegroundColor Green
