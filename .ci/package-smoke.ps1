#Requires -Version 7.4
<#
.SYNOPSIS
    CI: a user's first five minutes with the gallery package (issue 22). .ci/run runs it after the build:
        dotnet pwsh -NoProfile -NonInteractive -File .ci/package-smoke.ps1 [-Configuration Release]

.DESCRIPTION
    1. build.ps1 -Task Package writes out/packages/PsBackup.<version>.nupkg.
    2. A child pwsh with an empty module path (its own HOME: PowerShell's user module folder and
       PSResourceGet's install folder and repository list are below it; PSResourceGet ignores
       XDG_DATA_HOME for where it installs) registers that folder as a repository and installs
       PsBackup from it by name (Install-PSResource).
    3. Another fresh pwsh imports PsBackup by name and checks what a user would: the version
       (Get-Module -ListAvailable), a file-tree backup restored byte for byte, and a throwaway
       PostgreSQL whose archive_command is the line Get-BackupArchiveCommand printed: the shipped
       archiver stores the WAL, a base backup and an end-of-archive restore bring back every row.
    Needs root and PostgreSQL 15 (tests/peers/install.sh installs it); no test peer is used.
    Ends with "Package: N passed, N failed"; exit code 1 when a check failed.
#>
[CmdletBinding()]
param(
    [ValidateSet('Debug', 'Release')] [string] $Configuration = 'Release',
    # Internal: the stage a child pwsh runs.
    [ValidateSet('Main', 'Install', 'Use', 'Older')] [string] $Stage = 'Main',
    [string] $Work
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$root = Split-Path -Parent $PSScriptRoot
$script:passed = 0
$script:failed = 0

function Test-Step([string] $Name, [scriptblock] $Body) {
    # One named check: passes when the block throws nothing.
    try {
        & $Body
        $script:passed++
        Write-Host "ok: $Name"
    }
    catch {
        $script:failed++
        Write-Host "FAIL: $Name`: $_" -ForegroundColor Red
    }
}

function Assert([bool] $Condition, [string] $Message) { if (-not $Condition) { throw $Message } }

function Get-ChildPwsh {
    # The same pwsh again: under `dotnet pwsh` the process is dotnet running pwsh.dll.
    $dll = Join-Path $PSHOME 'pwsh.dll'
    if ([IO.Path]::GetFileNameWithoutExtension([Environment]::ProcessPath) -eq 'dotnet' -and (Test-Path -LiteralPath $dll)) {
        return @([Environment]::ProcessPath, $dll)
    }
    @(Join-Path $PSHOME 'pwsh')
}

function Invoke-Stage([string] $Name) {
    # A fresh pwsh, with the module path computed anew from this run's HOME.
    $pwsh = @(Get-ChildPwsh)
    $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $PSCommandPath,
        '-Stage', $Name, '-Work', $Work, '-Configuration', $Configuration)
    $output = & $pwsh[0] @arguments 2>&1 | ForEach-Object { Write-Host $_; "$_" }
    $line = @($output | Where-Object { $_ -match '^STAGE: (\d+) passed, (\d+) failed$' })[-1]
    if ($LASTEXITCODE -ne 0 -and -not $line) { $script:failed++; Write-Host "FAIL: stage $Name exited $LASTEXITCODE" -ForegroundColor Red; return }
    if ($line -match '^STAGE: (\d+) passed, (\d+) failed$') { $script:passed += [int]$Matches[1]; $script:failed += [int]$Matches[2] }
}

switch ($Stage) {
    'Main' {
        $version = (Import-PowerShellDataFile -LiteralPath (Join-Path $root 'PsBackup.psd1')).ModuleVersion
        $package = Join-Path $root 'out' 'packages' "PsBackup.$version.nupkg"
        Test-Step "build.ps1 -Task Package writes PsBackup.$version.nupkg" {
            & (Join-Path $root 'build.ps1') -Task Package -Configuration $Configuration | Out-Host
            Assert (Test-Path -LiteralPath $package) "no $package"
        }
        # /tmp, not a private home: archive_command runs as postgres and must reach the installed module.
        $Work = Join-Path '/tmp' "psbackup-package-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $null = New-Item -ItemType Directory -Path (Join-Path $Work 'home'), (Join-Path $Work 'feed')
        Copy-Item -LiteralPath $package -Destination (Join-Path $Work 'feed')
        Test-Step 'a second version for the side-by-side checks (a re-labelled copy, 0.0.1)' {
            # Building a real older version would cost a second build; a copy whose manifest says
            # 0.0.1 installs into its own folder and is a second PsBackup.dll path, which is what
            # side-by-side installs and imports turn on.
            $older = Join-Path $Work 'older' 'PsBackup'
            $null = New-Item -ItemType Directory -Path $older
            Copy-Item -Path (Join-Path $root 'out' 'PsBackup' $version '*') -Destination $older -Recurse
            $psd1 = Join-Path $older 'PsBackup.psd1'
            (Get-Content -Raw $psd1) -replace "ModuleVersion(\s*)=(\s*)'$([regex]::Escape($version))'", "ModuleVersion`$1=`$2'0.0.1'" | Set-Content -NoNewline $psd1
            Compress-PSResource -Path $older -DestinationPath (Join-Path $Work 'feed')
            Assert (Test-Path (Join-Path $Work 'feed' 'PsBackup.0.0.1.nupkg')) 'no PsBackup.0.0.1.nupkg'
        }
        $saved = @{ HOME = $env:HOME; XDG_DATA_HOME = $env:XDG_DATA_HOME; XDG_CONFIG_HOME = $env:XDG_CONFIG_HOME; PSModulePath = $env:PSModulePath }
        $env:HOME = Join-Path $Work 'home'
        $env:XDG_DATA_HOME = $env:XDG_CONFIG_HOME = $env:PSModulePath = $null
        try {
            Invoke-Stage 'Install'
            Invoke-Stage 'Use'
            Invoke-Stage 'Older'
        }
        finally {
            foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
            # Safety net: no PostgreSQL of this run outlives it (immediate shutdown of any postmaster left below $Work).
            foreach ($pidFile in Get-ChildItem -LiteralPath $Work -Recurse -Filter postmaster.pid -ErrorAction SilentlyContinue) {
                $postmaster = Get-Content -LiteralPath $pidFile.FullName -TotalCount 1 -ErrorAction SilentlyContinue
                if ($postmaster -match '^\d+$') { & kill -QUIT $postmaster 2>$null; Start-Sleep -Milliseconds 500 }
            }
            Remove-Item -LiteralPath $Work -Recurse -Force -ErrorAction SilentlyContinue
        }
        Write-Host "Package: $script:passed passed, $script:failed failed"
        exit ([int]($script:failed -gt 0))
    }

    'Install' {
        $version = (Import-PowerShellDataFile -LiteralPath (Join-Path $root 'PsBackup.psd1')).ModuleVersion
        $modules = Join-Path $HOME '.local' 'share' 'powershell' 'Modules'
        Test-Step 'the module path holds no PsBackup before the install' {
            $found = @(Get-Module PsBackup -ListAvailable)
            Assert ($found.Count -eq 0) "PsBackup is already on PSModulePath: $(($found | ForEach-Object ModuleBase) -join ', ')"
            Assert (($env:PSModulePath -split [IO.Path]::PathSeparator) -contains $modules) "$modules is not on PSModulePath ($env:PSModulePath)"
        }
        Test-Step 'Install-PSResource PsBackup from a local file repository, by name' {
            Register-PSResourceRepository -Name PsBackupCi -Uri (Join-Path $Work 'feed') -Trusted
            Install-PSResource -Name PsBackup -Repository PsBackupCi -Scope CurrentUser -TrustRepository -Quiet
            $installed = @(Get-InstalledPSResource -Name PsBackup)
            Assert ($installed.Count -eq 1) "Get-InstalledPSResource shows $($installed.Count) PsBackup"
            Assert ($installed[0].InstalledLocation -like "$modules*") "installed in $($installed[0].InstalledLocation)"
        }
        Test-Step 'a second version installs side by side' {
            Install-PSResource -Name PsBackup -Version 0.0.1 -Repository PsBackupCi -Scope CurrentUser -TrustRepository -Quiet
            $versions = @(Get-Module PsBackup -ListAvailable | ForEach-Object { "$($_.Version)" })
            Assert (($versions -join ',') -eq "$version,0.0.1") "Get-Module -ListAvailable: $($versions -join ', ')"
        }
        Write-Host "STAGE: $script:passed passed, $script:failed failed"
    }

    'Older' {
        Test-Step 'a fresh session imports the other version with -RequiredVersion' {
            $older = Import-Module PsBackup -RequiredVersion 0.0.1 -PassThru
            Assert ("$($older.Version)" -eq '0.0.1' -and $older.ModuleBase -like '*PsBackup?0.0.1') "imported $($older.Version) from $($older.ModuleBase)"
            Assert (@(Get-Command -Module PsBackup).Count -gt 0) 'no cmdlet'
        }
        Write-Host "STAGE: $script:passed passed, $script:failed failed"
    }

    'Use' {
        $version = (Import-PowerShellDataFile -LiteralPath (Join-Path $root 'PsBackup.psd1')).ModuleVersion
        $module = $null
        Test-Step "Get-Module -ListAvailable shows PsBackup $version; Import-Module PsBackup by name" {
            $available = @(Get-Module PsBackup -ListAvailable)
            Assert ($available.Count -eq 2 -and "$($available[0].Version)" -eq $version) "listed: $($available | ForEach-Object { "$($_.Version) $($_.ModuleBase)" })"
            Assert ($available[0].ModuleBase -like "$HOME*") "listed from $($available[0].ModuleBase)"
            $script:module = Import-Module PsBackup -PassThru
            Assert ("$($script:module.Version)" -eq $version) "Import-Module PsBackup imported $($script:module.Version), not the newest"
            $exported = (Import-PowerShellDataFile (Join-Path $script:module.ModuleBase 'PsBackup.psd1')).CmdletsToExport
            Assert (@(Get-Command -Module PsBackup).Count -eq @($exported).Count) 'not every cmdlet is exported'
        }
        Test-Step 'importing the other version into this session: a clear error, the loaded version keeps working' {
            $importError = $null
            try { Import-Module PsBackup -RequiredVersion 0.0.1 } catch { $importError = $_ }
            Assert ($importError -and $importError.FullyQualifiedErrorId -like 'PsBackupVersionAlreadyLoaded*') "error: $($importError.FullyQualifiedErrorId)"
            Assert ("$((Get-Module PsBackup).Version)" -eq $version) "loaded now: $((Get-Module PsBackup).Version)"
            Assert (@(Get-BackupCollection -Repository (Join-Path $Work 'no-repo') -ErrorAction SilentlyContinue -ErrorVariable probe).Count -eq 0 -and
                $probe[0].FullyQualifiedErrorId -like 'RepositoryNotFound*') "the loaded version stopped working: $($probe | Out-String)"
        }

        Test-Step 'a file tree: backup, restore, every file identical' {
            $source = Join-Path $Work 'files'
            $null = New-Item -ItemType Directory -Path (Join-Path $source 'sub')
            Set-Content -LiteralPath (Join-Path $source 'a.txt') -Value 'first five minutes'
            [IO.File]::WriteAllBytes((Join-Path $source 'sub' 'random.bin'), [byte[]](1..200000 | ForEach-Object { $_ % 251 }))
            $repository = Join-Path $Work 'file-repo'
            $null = New-BackupTarget -Path $source | New-BackupCollection -Name smoke-files -Repository $repository
            $backup = Invoke-Backup -Name smoke-files -Repository $repository
            Assert ($backup.Status -eq 'Complete') "backup status $($backup.Status)"
            $destination = Join-Path $Work 'files-restored'
            $null = Get-Backup -Collection smoke-files -Repository $repository -Latest | Restore-Backup -Destination $destination -Confirm:$false
            $restoredRoot = (Get-ChildItem -LiteralPath $destination -Recurse -Filter a.txt).DirectoryName
            foreach ($file in Get-ChildItem -LiteralPath $source -Recurse -File) {
                $copy = Join-Path $restoredRoot ([IO.Path]::GetRelativePath($source, $file.FullName))
                Assert ((Get-FileHash -LiteralPath $copy).Hash -eq (Get-FileHash -LiteralPath $file.FullName).Hash) "$copy differs"
            }
        }

        # A throwaway PostgreSQL archiving through the installed module's archiver, with the printed line.
        $pgBin = if ($env:PSBACKUP_TEST_PG_BIN) { $env:PSBACKUP_TEST_PG_BIN } else { '/usr/lib/postgresql/15/bin' }
        . (Join-Path $root 'tests' 'pester' 'PsBackup.TestHelpers.ps1') # Get-FreeTestPort
        $port = Get-FreeTestPort
        $data = Join-Path $Work 'pg'
        $repository = Join-Path $Work 'pg-repo'
        function Invoke-Pg([string] $Sql, [int] $Port = $port) {
            $out = & (Join-Path $pgBin 'psql') -h 127.0.0.1 -p $Port -U postgres -Atqc $Sql
            if ($LASTEXITCODE -ne 0) { throw "psql failed: $Sql" }
            $out
        }
        function Wait-Archived {
            $segment = Invoke-Pg 'SELECT pg_walfile_name(pg_switch_wal())'
            foreach ($i in 1..600) {
                $archived, $failedCount = (Invoke-Pg "SELECT coalesce(last_archived_wal, '') >= '$segment', failed_count FROM pg_stat_archiver") -split '\|'
                if ($archived -eq 't') { return }
                if ([int]$failedCount -gt 0) { throw "archive_command failed $failedCount time(s): $(Get-Content -Raw "$Work/pg.log")" }
                Start-Sleep -Milliseconds 100
            }
            throw "WAL segment $segment was not archived"
        }
        & chmod -R a+rX $HOME
        & chown postgres: $Work
        try {
            Test-Step 'a PostgreSQL cluster archives its WAL through the line Get-BackupArchiveCommand printed (the installed archiver, same version)' {
                $null = New-BackupTarget -PostgreSqlCluster -Server 127.0.0.1 -Port $port -Name db -UserName postgres |
                    New-BackupCollection -Name smoke-pitr -Repository $repository
                & chown -R postgres: $repository
                $script:line = Get-BackupArchiveCommand -Collection smoke-pitr -Repository $repository
                Assert ($line.Archiver[0] -eq (Join-Path $script:module.ModuleBase 'archiver' 'psbackup-cli')) "archiver: $($line.Archiver)"
                Write-Host "  $line"
                # One version: the module's, the engine's and the archiver's.
                $engine = Join-Path $script:module.ModuleBase 'Dependencies' 'PsBackup.Engine.dll'
                Assert ((Get-Item $engine).VersionInfo.ProductVersion -like "$version*") "engine: $((Get-Item $engine).VersionInfo.ProductVersion)"
                $printed = & $line.Archiver[0] version
                Assert ($LASTEXITCODE -eq 0 -and $printed -eq $version) "archiver printed '$printed' (exit $LASTEXITCODE)"
                & runuser -u postgres -- (Join-Path $pgBin 'initdb') -D $data --auth=trust -U postgres --no-sync | Out-Null
                Add-Content -LiteralPath (Join-Path $data 'postgresql.conf') -Value @(
                    "listen_addresses = '127.0.0.1'", "unix_socket_directories = ''", 'wal_level = replica', 'archive_mode = on', 'fsync = off', "$line")
                & runuser -u postgres -- (Join-Path $pgBin 'pg_ctl') -D $data -o "-p $port" -l "$Work/pg.log" -w start | Out-Null
                Assert ($LASTEXITCODE -eq 0) "PostgreSQL did not start: $(Get-Content -Raw "$Work/pg.log")"
                Invoke-Pg 'CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders VALUES (1)' | Out-Null
                Wait-Archived
            }
            Test-Step 'base backup, more archived WAL, end-of-archive restore: every row back' {
                $full = Invoke-Backup -Name smoke-pitr -Repository $repository
                Assert ($full.Status -eq 'Complete') "backup status $($full.Status)"
                Invoke-Pg 'INSERT INTO orders SELECT generate_series(2, 1000)' | Out-Null
                Wait-Archived
                $window = Get-BackupRecoveryWindow -Collection smoke-pitr -Repository $repository
                Assert ($window.WalSegmentCount -ge 2 -and $window.Latest -and -not $window.MissingSegment) "window: $($window | Out-String)"
                $restored = Join-Path $Work 'pg-restored'
                $null = Get-Backup -Collection smoke-pitr -Repository $repository -Latest |
                    Restore-Backup -Destination $restored -EndOfArchive -Confirm:$false
                $restoredPort = Get-FreeTestPort -Exclude $port
                & runuser -u postgres -- (Join-Path $pgBin 'pg_ctl') -D $restored -o "-p $restoredPort -c archive_mode=off" -l "$Work/restored.log" -w -t 120 start | Out-Null
                try {
                    foreach ($i in 1..1200) {
                        if ((Invoke-Pg 'SELECT pg_is_in_recovery()' -Port $restoredPort) -eq 'f') { break }
                        Start-Sleep -Milliseconds 100
                    }
                    $rows = Invoke-Pg 'SELECT count(*), sum(id) FROM orders' -Port $restoredPort
                    Assert ($rows -eq '1000|500500') "restored rows: $rows"
                }
                finally { & runuser -u postgres -- (Join-Path $pgBin 'pg_ctl') -D $restored -m immediate stop | Out-Null }
            }
        }
        finally {
            if (Test-Path (Join-Path $data 'postmaster.pid')) {
                & runuser -u postgres -- (Join-Path $pgBin 'pg_ctl') -D $data -m immediate stop | Out-Null
            }
        }
        Write-Host "STAGE: $script:passed passed, $script:failed failed"
    }
}
