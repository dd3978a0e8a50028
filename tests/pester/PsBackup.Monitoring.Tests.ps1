#Requires -Version 7.4
# Pester 5: the run journal (Get-BackupRun) and the metrics (Export-BackupMetrics) as an admin
# uses them: the failed runs of the night, -Last, a .prom file for node_exporter written atomically,
# the metrics on the pipeline, bad input as PsBackup errors. Repositories live in $TestDrive.

Describe 'Get-BackupRun and Export-BackupMetrics' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'PsBackup.TestHelpers.ps1')
        Import-Module (Get-PsBackupModuleManifest) -Force -ErrorAction Stop

        $repository = Join-Path $TestDrive 'repository'
        $source = Join-Path $TestDrive 'src'
        New-TestTree -Path $source -File @{ 'data.txt' = 'data'; 'big.bin' = 'x' * 20000 }
        $null = New-BackupTarget -Path $source -Name files | New-BackupCollection -Name web -Repository $repository -IncrementalBackupEnabled -ErrorAction Stop
        $null = Invoke-Backup -Name web -Repository $repository -ErrorAction Stop
        $null = Invoke-Backup -Name web -Repository $repository -Incremental -ErrorAction Stop
        Rename-Item -LiteralPath $source -NewName 'src-away'
        $null = Invoke-Backup -Name web -Repository $repository -ErrorVariable script:backupErrors -ErrorAction SilentlyContinue
        Rename-Item -LiteralPath (Join-Path $TestDrive 'src-away') -NewName 'src'
    }

    It 'lists every backup run, the failed one with its ErrorId; the failed backup left no backup' {
        $backupErrors.Count | Should -Be 1
        $runs = @(Get-BackupRun -Collection web -Repository $repository -ErrorVariable err)
        $err | Should -BeNullOrEmpty
        $runs.Count | Should -Be 3
        ($runs.Outcome -join ',') | Should -Be 'Succeeded,Succeeded,Failed'
        $runs[2].ErrorId | Should -Be $backupErrors[0].FullyQualifiedErrorId.Split(',')[0]
        $runs[2].BackupId | Should -BeNullOrEmpty
        $runs[0].SizeBytes | Should -BeGreaterThan 20000
        @(Get-Backup -Collection web -Repository $repository).Count | Should -Be 2
    }

    It '-Failed and -Last N are the report one-liners; piped collections bind' {
        $failed = @(Get-BackupRun -Repository $repository -Failed -ErrorVariable err)
        $err | Should -BeNullOrEmpty
        $failed.Count | Should -Be 1
        $failed[0].Outcome | Should -Be 'Failed'
        $last = @(Get-BackupCollection -Name web -Repository $repository | Get-BackupRun -Last 1 -ErrorVariable err2)
        $err2 | Should -BeNullOrEmpty
        $last.Count | Should -Be 1
        $last[0].Outcome | Should -Be 'Failed'
        $csv = Join-Path $TestDrive 'runs.csv'
        Get-BackupRun -Repository $repository | Export-Csv -LiteralPath $csv
        (Import-Csv -LiteralPath $csv).Count | Should -Be 3
    }

    It 'the default view fits 80 columns: end time, operation, outcome, duration, size, ErrorId' {
        $runs = @(Get-BackupRun -Collection web -Repository $repository -Operation Backup -ErrorVariable err)
        $err | Should -BeNullOrEmpty
        $runs.Count | Should -Be 3
        $lines = @($runs | Get-ViewLine)
        foreach ($line in $lines) { $line.Length | Should -BeLessOrEqual 80 -Because "'$line' is wider than 80 columns" }
        ($lines | Where-Object { $_ -like 'EndTime *' }) -split '\s+' | Should -Be @('EndTime', 'Operation', 'Outcome', 'Duration', 'Size', 'ErrorId')
        @($lines | Where-Object { $_ -match 'Backup\s+Failed\s+\d\d:\d\d:\d\d\s+TargetUnavailable$' }).Count | Should -Be 1
        @($lines | Where-Object { $_ -match 'Backup\s+Succeeded\s+\d\d:\d\d:\d\d\s+[\d.]+ (B|KiB)$' }).Count | Should -Be 2
    }

    It 'Test-Backup runs are journaled too' {
        $findings = @(Get-Backup -Collection web -Repository $repository -Latest | Test-Backup -ErrorVariable err)
        $err | Should -BeNullOrEmpty
        $findings.Count | Should -BeGreaterThan 0
        $verify = @(Get-BackupRun -Collection web -Repository $repository -Operation Verify)
        $verify.Count | Should -Be 1
        $verify[0].Outcome | Should -Be 'Succeeded'
    }

    It 'writes a .prom file atomically with the right values, and the same text to the pipeline' {
        $prom = Join-Path $TestDrive 'textfile/psbackup.prom'
        $null = New-Item -ItemType Directory -Force (Split-Path $prom)
        $output = @(Export-BackupMetrics -Repository $repository -Path $prom -ErrorVariable err)
        $err | Should -BeNullOrEmpty
        $output.Count | Should -Be 0
        @(Get-ChildItem (Split-Path $prom) -Force).Name | Should -Be @('psbackup.prom')   # no temporary file left
        $file = Get-Content -LiteralPath $prom
        $file | Should -Contain ('psbackup_backups{collection="web",repository="' + $repository + '"} 2')
        $file | Should -Contain ('psbackup_last_run_success{collection="web",repository="' + $repository + '",operation="backup"} 0')
        $file | Should -Contain ('psbackup_runs_total{collection="web",repository="' + $repository + '",operation="backup",outcome="failed"} 1')
        $text = Export-BackupMetrics -Collection 'w*' -Repository $repository -ErrorVariable err2
        $err2 | Should -BeNullOrEmpty
        $text | Should -Match '(?m)^# TYPE psbackup_runs_total counter$'
        $text | Should -Match '(?m)^psbackup_collection_up\{collection="web",repository="[^"]+"\} 1$'
    }

    It 'an unknown collection and a bad -Last are PsBackup errors' {
        $null = Export-BackupMetrics -Collection nope -Repository $repository -ErrorVariable err -ErrorAction SilentlyContinue
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'CollectionNotFound,*'
        $null = Get-BackupRun -Collection nope -Repository $repository -ErrorVariable err2 -ErrorAction SilentlyContinue
        $err2.Count | Should -Be 1
        $err2[0].FullyQualifiedErrorId | Should -BeLike 'CollectionNotFound,*'
        { Get-BackupRun -Repository $repository -Last 0 -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentValidationError,PsBackup.Commands.GetBackupRunCommand'
    }

    It '-WhatIf writes no file; without it the file is written' {
        $prom = Join-Path $TestDrive 'whatif.prom'
        Export-BackupMetrics -Repository $repository -Path $prom -WhatIf -ErrorVariable err
        $err | Should -BeNullOrEmpty
        Test-Path $prom | Should -BeFalse
        Export-BackupMetrics -Repository $repository -Path $prom -ErrorAction Stop
        (Get-Content -LiteralPath $prom) | Should -Contain '# TYPE psbackup_backups gauge'
    }
}
