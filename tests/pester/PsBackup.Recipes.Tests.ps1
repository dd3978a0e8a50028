#Requires -Version 7.4
# Pester 5: every script of docs/recipes run as a scheduler runs it (a child pwsh, -File), against
# a repository in $TestDrive: its exit code, what it did to the repository, its report and metrics.

Describe 'docs/recipes' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'PsBackup.TestHelpers.ps1')
        $module = Get-PsBackupModuleManifest
        Import-Module $module -Force -ErrorAction Stop
        $recipes = Join-Path (Get-PsBackupRepoRoot) 'docs' 'recipes'
        $pwsh = Join-Path $PSHOME 'pwsh'
        $repository = Join-Path $TestDrive 'repository'
        foreach ($name in 'db', 'files') {
            $source = Join-Path $TestDrive "src-$name"
            New-TestTree -Path $source -File @{ 'data.txt' = "data of $name"; 'big.bin' = "$name " * 5000 }
            $null = New-BackupTarget -Path $source -Name files | New-BackupCollection -Name $name -Repository $repository -IncrementalBackupEnabled -ErrorAction Stop
        }
        function Invoke-Recipe([string] $Script, [string[]] $Arguments) {
            $output = & $pwsh -NoProfile -File (Join-Path $recipes $Script) @Arguments -ModulePath $module 2>&1
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($output | Out-String) }
        }
    }

    It 'Invoke-NightlyBackup: a full first, then an incremental; exit 0; metrics written' {
        $prom = Join-Path $TestDrive 'nightly.prom'
        $day = ([DateTime]::Now.DayOfWeek + 1) % 7   # not today: the second run is an incremental
        $first = Invoke-Recipe Invoke-NightlyBackup.ps1 @('-Collection', 'db,files', '-Repository', $repository, '-FullBackupDay', $day, '-MetricsPath', $prom)
        $first.ExitCode | Should -Be 0 -Because $first.Output
        $second = Invoke-Recipe Invoke-NightlyBackup.ps1 @('-Collection', 'db', '-Repository', $repository, '-FullBackupDay', $day)
        $second.ExitCode | Should -Be 0 -Because $second.Output
        (@(Get-Backup -Collection db -Repository $repository -ErrorAction Stop).Type -join ',') | Should -Be 'Full,Incremental'
        @(Get-Backup -Collection files -Repository $repository -ErrorAction Stop).Count | Should -Be 1
        Get-Content -LiteralPath $prom | Should -Contain "psbackup_backups{collection=`"files`",repository=`"$repository`"} 1"
    }

    It 'Invoke-NightlyBackup: a failing collection exits 1, the other is still backed up; exit 2 without the module' {
        $gone = Join-Path $TestDrive 'src-gone'
        New-TestTree -Path $gone -File @{ 'x.txt' = 'x' }
        $null = New-BackupTarget -Path $gone -Name files | New-BackupCollection -Name broken -Repository $repository -ErrorAction Stop
        Remove-Item -LiteralPath $gone -Recurse
        $run = Invoke-Recipe Invoke-NightlyBackup.ps1 @('-Collection', 'broken,files', '-Repository', $repository)
        $run.ExitCode | Should -Be 1 -Because $run.Output
        $run.Output | Should -Match 'src-gone'
        @(Get-Backup -Collection files -Repository $repository -ErrorAction Stop).Count | Should -Be 2
        (Get-BackupRun -Collection broken -Repository $repository -Last 1 -ErrorAction Stop).Outcome | Should -Be 'Failed'
        $output = & $pwsh -NoProfile -File (Join-Path $recipes 'Invoke-NightlyBackup.ps1') -Collection files -Repository $repository -ModulePath (Join-Path $TestDrive 'nothing.psd1') 2>&1
        $LASTEXITCODE | Should -Be 2 -Because ($output | Out-String)
    }

    It 'Invoke-GfsRetention: applies the policy, writes the report; exit 0' {
        $report = Join-Path $TestDrive 'retention.csv'
        $null = Invoke-Backup -Name files -Repository $repository -ErrorAction Stop   # files: full, incremental, full
        $run = Invoke-Recipe Invoke-GfsRetention.ps1 @('-Collection', 'db,files', '-Repository', $repository, '-ReportPath', $report, '-KeepDaily', '1', '-KeepWeekly', '0', '-KeepMonthly', '0')
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $rows = @(Import-Csv -LiteralPath $report)
        $rows.Count | Should -Be 5   # db: full + incremental; files: full, incremental, full
        @($rows | Where-Object Deleted -eq 'True').Count | Should -Be 2   # files' older full and its incremental; db's chain is its newest day
        @(Get-Backup -Collection files -Repository $repository -ErrorAction Stop).Count | Should -Be 1
        (Get-BackupRun -Collection files -Operation Retention -Repository $repository -ErrorAction Stop).Outcome | Should -Be 'Succeeded'
    }

    It 'Export-BackupReport: one row per collection; exit 1 because broken''s last backup failed; metrics written' {
        $report = Join-Path $TestDrive 'dr-status.csv'
        $prom = Join-Path $TestDrive 'report.prom'
        $run = Invoke-Recipe Export-BackupReport.ps1 @('-Repository', $repository, '-ReportPath', $report, '-MetricsPath', $prom)
        $run.ExitCode | Should -Be 1 -Because $run.Output
        $rows = @(Import-Csv -LiteralPath $report)
        ($rows.Collection | Sort-Object) -join ',' | Should -Be 'broken,db,files'
        ($rows | Where-Object Collection -eq broken).LastBackupOutcome | Should -Be 'Failed'
        ($rows | Where-Object Collection -eq broken).LastBackupErrorId | Should -Be 'TargetUnavailable'
        ($rows | Where-Object Collection -eq db).LastBackupOutcome | Should -Be 'Succeeded'
        Get-Content -LiteralPath $prom | Should -Contain "psbackup_last_run_success{collection=`"broken`",repository=`"$repository`",operation=`"backup`"} 0"
        Remove-BackupCollection -Name broken -Repository $repository -Confirm:$false -ErrorAction Stop
        $again = Invoke-Recipe Export-BackupReport.ps1 @('-Repository', $repository, '-ReportPath', $report)
        $again.ExitCode | Should -Be 0 -Because $again.Output
    }
}
