#Requires -Version 7.4
<#
.SYNOPSIS
    PsBackup in five minutes: builds the module, then backs up a sample folder, full and
    incremental, lists and verifies the backups, restores the latest into a temporary folder and
    compares it with the original, showing each command as it runs.

.DESCRIPTION
    From a fresh clone (the .NET SDK is all it needs):

        dotnet tool restore && dotnet pwsh ./demo.ps1

    `dotnet tool restore` installs the PowerShell this repository pins (dotnet-tools.json).
    The demo builds the module (dotnet build src/PsBackup -c Release, into out/PsBackup/<version>/)
    and imports it. The sample folder and the restored copy live in a temporary folder that the
    demo deletes at the end. The repository stays, for you to explore: out/demo-repository in
    this clone (a run replaces the demo collection of the previous one). Exit code 0 when the
    restored tree is identical to the original.

.PARAMETER Repository
    Where to keep the demo repository (a directory or s3://bucket/prefix). Default:
    out/demo-repository in this clone.
#>
[CmdletBinding()]
param(
    [string] $Repository = (Join-Path $PSScriptRoot 'out' 'demo-repository')
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

function Show([string] $Command) {
    # Shows the next command as a PowerShell prompt would.
    Write-Host ''
    Write-Host "PS> $Command" -ForegroundColor Yellow
}

function Get-TreeListing([string] $Root) {
    # One line per item: path, kind, size and SHA-256 of files, target of links; sorted.
    Get-ChildItem -LiteralPath $Root -Recurse -Force | ForEach-Object {
        $relative = [System.IO.Path]::GetRelativePath($Root, $_.FullName).Replace('\', '/')
        if ($_.LinkType) { "$relative -> $($_.LinkTarget)" }
        elseif ($_.PSIsContainer) { "$relative/" }
        else { '{0} {1} {2}' -f $relative, $_.Length, (Get-FileHash -LiteralPath $_.FullName -Algorithm SHA256).Hash }
    } | Sort-Object
}

# --- Build and import the module.
Show 'dotnet build src/PsBackup -c Release'
$buildLog = & dotnet build (Join-Path $PSScriptRoot 'src' 'PsBackup') -c Release --nologo -v quiet 2>&1
if ($LASTEXITCODE -ne 0) {
    $buildLog | Out-Host
    throw "The build failed (exit code $LASTEXITCODE); see above."
}
$version = (Import-PowerShellDataFile -LiteralPath (Join-Path $PSScriptRoot 'PsBackup.psd1')).ModuleVersion
$manifest = Join-Path $PSScriptRoot 'out' 'PsBackup' $version 'PsBackup.psd1'
Show "Import-Module $([System.IO.Path]::GetRelativePath($PWD, $manifest))"
Import-Module $manifest -Force

$work = Join-Path ([System.IO.Path]::GetTempPath()) "psbackup-demo-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
$sample = Join-Path $work 'sample'
$restored = Join-Path $work 'restored'
try {
    # --- A sample folder: text, a binary file, an empty folder, a symbolic link, and a file to leave out.
    $null = New-Item -ItemType Directory -Path (Join-Path $sample 'docs'), (Join-Path $sample 'empty')
    Set-Content -LiteralPath (Join-Path $sample 'notes.txt') -Value 'PsBackup demo'
    Set-Content -LiteralPath (Join-Path $sample 'docs' 'readme.md') -Value '# Sample'
    [System.IO.File]::WriteAllBytes((Join-Path $sample 'docs' 'random.bin'), [System.Security.Cryptography.RandomNumberGenerator]::GetBytes(256KB))
    Set-Content -LiteralPath (Join-Path $sample 'scratch.tmp') -Value 'left out of the backup'
    $null = New-Item -ItemType SymbolicLink -Path (Join-Path $sample 'latest-notes') -Target 'notes.txt'

    Show "`$repo = '$Repository'; `$sample = '$sample'"
    $repo = $Repository

    # A run replaces the demo collection of an earlier run, so backups do not pile up.
    if (Get-BackupCollection -Name demo -Repository $repo -ErrorAction SilentlyContinue) {
        Remove-BackupCollection -Name demo -Repository $repo -Confirm:$false
    }

    Show "New-BackupTarget -Path `$sample -Name sample -Exclude '*.tmp' |`n    New-BackupCollection -Name demo -Repository `$repo -IncrementalBackupEnabled"
    New-BackupTarget -Path $sample -Name sample -Exclude '*.tmp' |
        New-BackupCollection -Name demo -Repository $repo -IncrementalBackupEnabled | Out-Host

    Show 'Invoke-Backup -Name demo -Repository $repo'
    Invoke-Backup -Name demo -Repository $repo | Out-Host

    Show "Add-Content `$sample/notes.txt 'a second line'; Set-Content `$sample/docs/new.md '# New'"
    Add-Content -LiteralPath (Join-Path $sample 'notes.txt') -Value 'a second line'
    Set-Content -LiteralPath (Join-Path $sample 'docs' 'new.md') -Value '# New'

    Show 'Invoke-Backup -Name demo -Repository $repo -Incremental'
    Invoke-Backup -Name demo -Repository $repo -Incremental | Out-Host

    Show 'Get-Backup -Collection demo -Repository $repo'
    Get-Backup -Collection demo -Repository $repo | Out-Host

    Show 'Get-Backup -Collection demo -Repository $repo -Latest | Test-Backup'
    $findings = @(Get-Backup -Collection demo -Repository $repo -Latest | Test-Backup)
    $findings | Out-Host
    if (-not $findings -or ($findings | Where-Object Status -ne 'Ok')) { throw 'Test-Backup found a problem.' }

    Show "Get-Backup -Collection demo -Repository `$repo -Latest |`n    Restore-Backup -Destination '$restored' -Confirm:`$false"
    Get-Backup -Collection demo -Repository $repo -Latest |
        Restore-Backup -Destination $restored -Confirm:$false | Out-Host

    Show 'Compare-Object (Get-TreeListing $sample) (Get-TreeListing $restored)'
    $expected = @(Get-TreeListing $sample | Where-Object { $_ -notlike 'scratch.tmp *' })
    $actual = @(Get-TreeListing $restored)
    $differences = @(Compare-Object $expected $actual)
    if ($differences) {
        $differences | Out-Host
        throw 'The restored tree differs from the sample.'
    }
    Write-Host "The restored tree is identical to the sample: $($expected.Count) items (files by SHA-256, folders, the link); scratch.tmp was left out as asked."
}
finally {
    # What the demo created outside the repository goes: the sample and the restored copy.
    if (Test-Path -LiteralPath $work) { Remove-Item -LiteralPath $work -Recurse -Force }
}

Write-Host ''
Write-Host "The demo repository is $Repository. Explore it:" -ForegroundColor Green
Write-Host "    dotnet pwsh"
Write-Host "    Import-Module $manifest"
Write-Host "    Get-Backup -Repository $Repository | Format-List *"
Write-Host "Remove it with: Remove-Item -Recurse $Repository"
