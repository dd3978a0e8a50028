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
      Pester  Invoke-Pester tests/pester in a child pwsh, so the imported module does not lock
              out/ in this session. Skipped, with a warning, when Pester 5 is not installed.
      Help    Regenerates module/en-US/PsBackup.dll-Help.xml from docs/cmdlets/*.md (python3).
      All     Build, Test and Pester.

.PARAMETER Task
    What to do: Build, Test, Pester, Help or All (the default).

.PARAMETER Configuration
    Debug (default) or Release.

.PARAMETER StartPeers
    Before Test, install and start the test servers (tests/peers/install.sh and start.sh, Linux
    only, as root or with sudo rights for apt); stop them after.

.EXAMPLE
    ./build.ps1

.EXAMPLE
    ./build.ps1 -Task Build, Pester -Configuration Release
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

function ConvertTo-QuotedLiteral([string] $Text) {
    "'" + $Text.Replace("'", "''") + "'"
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
        Invoke-Native dotnet $arguments
        return
    }
    if (-not $IsLinux) {
        throw '-StartPeers works on Linux only (tests/peers/*.sh start PostgreSQL, Redis and Node servers as local processes).'
    }
    Invoke-Native bash @((Join-Path $root 'tests' 'peers' 'install.sh'))
    try {
        Invoke-Native bash @((Join-Path $root 'tests' 'peers' 'start.sh'))
        Invoke-Native dotnet $arguments
    }
    finally {
        & bash (Join-Path $root 'tests' 'peers' 'stop.sh')
    }
}

function Invoke-PesterTask {
    Write-Step 'Pester'
    $pester = Get-Module -ListAvailable -Name Pester |
        Where-Object { $_.Version -ge [version]'5.0.0' } |
        Sort-Object -Property Version -Descending |
        Select-Object -First 1
    if (-not $pester) {
        Write-Warning ('Pester 5 is not installed, so the tests in tests/pester did not run. Install it with: ' +
            'Install-Module -Name Pester -MinimumVersion 5.0.0 -Scope CurrentUser -Force -SkipPublisherCheck')
        return
    }
    if (-not (Test-Path -LiteralPath (Get-ModuleManifestPath) -PathType Leaf)) {
        Write-Host 'The module is not built yet; building it.'
        Invoke-Native dotnet @('build', (Join-Path $root 'src' 'PsBackup'), '-c', $Configuration, '--nologo')
    }

    $results = Join-Path $root 'TestResults'
    $null = New-Item -ItemType Directory -Path $results -Force
    # A child pwsh: importing the binary module would otherwise keep its DLLs loaded in this session.
    $command = @(
        "Import-Module -Name Pester -RequiredVersion $(ConvertTo-QuotedLiteral $pester.Version.ToString()) -ErrorAction Stop"
        '$configuration = New-PesterConfiguration'
        "`$configuration.Run.Path = $(ConvertTo-QuotedLiteral $pesterTests)"
        '$configuration.Run.Exit = $true'
        '$configuration.Output.Verbosity = ''Detailed'''
        '$configuration.TestResult.Enabled = $true'
        "`$configuration.TestResult.OutputPath = $(ConvertTo-QuotedLiteral (Join-Path $results 'pester.xml'))"
        'Invoke-Pester -Configuration $configuration'
    ) -join '; '
    $pwsh = (Get-Process -Id $PID).Path
    Invoke-Native $pwsh @('-NoProfile', '-NonInteractive', '-Command', $command)
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
$built = $false
foreach ($step in 'Help', 'Build', 'Test', 'Pester') {
    if ($selected -notcontains $step) { continue }
    switch ($step) {
        'Help' { Invoke-HelpTask }
        'Build' { Invoke-BuildTask; $built = $true }
        'Test' { Invoke-TestTask -AlreadyBuilt $built }
        'Pester' { Invoke-PesterTask }
    }
}
Write-Host ''
Write-Host "build.ps1: $($selected -join ', ') done." -ForegroundColor Green
