#Requires -Version 7.4
# Pester 5: point-in-time recovery of a PostgreSQL cluster as an administrator would run it.
# Needs what the engine tests need: root, PostgreSQL 15 in $env:PSBACKUP_TEST_PG_BIN
# (default /usr/lib/postgresql/15/bin) and the built psbackup-cli of the module's configuration.
# A throwaway cluster on a free port (Get-FreeTestPort: 30000-32767) is started for this file and always stopped.

Describe 'PostgreSQL cluster: base backup, WAL archive, point-in-time restore' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'PsBackup.TestHelpers.ps1')
        Import-Module (Get-PsBackupModuleManifest) -Force -ErrorAction Stop

        $pgBin = if ($env:PSBACKUP_TEST_PG_BIN) { $env:PSBACKUP_TEST_PG_BIN } else { '/usr/lib/postgresql/15/bin' }
        $cli = Get-PsBackupCli
        $psql = Join-Path $pgBin 'psql'

        # Everything in a /tmp folder the postgres user may use ($TestDrive may sit below a private home).
        $work = Join-Path '/tmp' "psbackup-pester-pg-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $repository = Join-Path $work 'repo'
        $data = Join-Path $work 'data'
        $null = New-Item -ItemType Directory -Path $work
        # archive_command runs as postgres, which may not read the checkout: it gets its own copy of psbackup-cli.
        Copy-Item -LiteralPath (Split-Path -Parent $cli) -Destination (Join-Path $work 'cli') -Recurse
        $cli = Join-Path $work 'cli' 'psbackup-cli.dll'
        & chmod -R a+rX (Join-Path $work 'cli')
        $port = Get-FreeTestPort

        function Invoke-Pg([string] $Sql, [int] $Port = $port) {
            $out = & $psql -h 127.0.0.1 -p $Port -U postgres -Atqc $Sql
            if ($LASTEXITCODE -ne 0) { throw "psql failed: $Sql" }
            $out
        }
        function Wait-Archived {
            $segment = Invoke-Pg 'SELECT pg_walfile_name(pg_switch_wal())'
            foreach ($i in 1..300) {
                $archived, $failed = (Invoke-Pg "SELECT coalesce(last_archived_wal, '') >= '$segment', failed_count FROM pg_stat_archiver") -split '\|'
                if ($archived -eq 't') { return }
                # archive_command (psbackup-cli archive-wal) does not fail when all is well: no need to wait out the minute.
                if ([int]$failed -gt 0) { throw "archive_command failed $failed time(s); see $work/primary.log" }
                Start-Sleep -Milliseconds 200
            }
            throw "WAL segment $segment was not archived"
        }

        & chown postgres: $work
        & runuser -u postgres -- (Join-Path $pgBin 'initdb') -D $data --auth=trust -U postgres --no-sync | Out-Null
        Add-Content -LiteralPath (Join-Path $data 'postgresql.conf') -Value @"
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
wal_level = replica
archive_mode = on
archive_command = 'dotnet $cli archive-wal --repository $repository --collection orders-pitr %p %f'
fsync = off
"@
        & runuser -u postgres -- (Join-Path $pgBin 'pg_ctl') -D $data -o "-p $port" -l "$work/primary.log" -w start | Out-Null

        $target = New-BackupTarget -PostgreSqlCluster -Server 127.0.0.1 -Port $port -Name orders-db -UserName postgres
        $collection = $target | New-BackupCollection -Name orders-pitr -Repository $repository -IncrementalBackupEnabled
        & chown -R postgres: $repository

        Invoke-Pg 'CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders VALUES (1)' | Out-Null
        Wait-Archived
        $full = Invoke-Backup -Name orders-pitr -Repository $repository
        Invoke-Pg 'INSERT INTO orders VALUES (2)' | Out-Null
        $point = [DateTimeOffset]::Parse((Invoke-Pg 'SELECT clock_timestamp()'))
        Start-Sleep -Milliseconds 50
        Invoke-Pg 'INSERT INTO orders VALUES (3)' | Out-Null
        Wait-Archived
        $incremental = Invoke-Backup -Name orders-pitr -Repository $repository -Incremental
    }

    AfterAll {
        foreach ($dir in $data, (Join-Path $work 'restored')) {
            if (Test-Path (Join-Path $dir 'postmaster.pid')) {
                & runuser -u postgres -- (Join-Path $pgBin 'pg_ctl') -D $dir -m immediate stop | Out-Null
            }
        }
        Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'New-BackupTarget -PostgreSqlCluster describes the cluster' {
        $target.Kind | Should -Be 'PostgreSqlCluster'
        $target.Host | Should -Be '127.0.0.1'
        $target.Port | Should -Be $port
        $target.UserName | Should -Be 'postgres'
    }

    It 'a full backup is a base backup; an incremental records the WAL range' {
        $full.Type | Should -Be 'Full'
        $full.SizeBytes | Should -BeGreaterThan 1MB
        $incremental.Type | Should -Be 'Incremental'
        $incremental.ParentId | Should -Be $full.Id
        $incremental.SizeBytes | Should -Be 0
    }

    It 'Get-BackupRecoveryWindow spans the base backup to the last archived commit' {
        $window = Get-BackupRecoveryWindow -Collection orders-pitr -Repository $repository -ErrorVariable err
        $err | Should -BeNullOrEmpty
        $window.Collection | Should -Be 'orders-pitr'
        $window.Target | Should -Be 'orders-db'
        $window.Earliest | Should -Be $full.EndTime
        $window.Latest | Should -BeGreaterThan $point
        $window.MissingSegment | Should -BeNullOrEmpty
        $window.Timeline | Should -Be 1
        # The default view at 80 columns: grouped by collection, both ends of the window to the second.
        $lines = @($window | Get-ViewLine)
        $lines[0] | Should -Be '   Collection: orders-pitr'
        $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 80 }
        $lines[-1] -split '\s+' | Select-Object -First 5 | Should -Be @('orders-db',
            $window.Earliest.ToLocalTime().ToString('yyyy-MM-dd'), $window.Earliest.ToLocalTime().ToString('HH:mm:ss'),
            $window.Latest.ToLocalTime().ToString('yyyy-MM-dd'), $window.Latest.ToLocalTime().ToString('HH:mm:ss'))
    }

    It 'Invoke-RetentionPolicy -WhatIf shows the archived WAL in stretches with reasons, and removes nothing' {
        $segments = (Get-BackupRecoveryWindow -Collection orders-pitr -Repository $repository).WalSegmentCount
        $plan = Invoke-RetentionPolicy -Collection orders-pitr -Repository $repository -KeepLast 1 -KeepWalWithin (New-TimeSpan -Days 7) -WhatIf -ErrorVariable err
        $err | Should -BeNullOrEmpty
        @($plan | Where-Object { -not $_.LogRange }).Count | Should -Be 2   # the full and the incremental: a chain
        $wal = @($plan | Where-Object LogRange)
        $removable = @($wal | Where-Object Action -eq 'Delete')
        $removable.Count | Should -BeGreaterThan 0
        $removable[0].Reasons | Should -BeLike "older than the start of base backup $($full.Id)*"
        $removable[0].LogFileCount | Should -BeGreaterThan 0
        $removable[0].BackupId | Should -BeNullOrEmpty
        $removable[0].Deleted | Should -BeFalse
        @($wal | Where-Object Action -eq 'Keep').Reasons -join ' ' | Should -Match 'point-in-time recovery to any moment after .* \(KeepLogWithin 7\.00:00:00\)'
        $csv = Join-Path $work 'plan.csv'
        $plan | Export-Csv -LiteralPath $csv
        @(Import-Csv -LiteralPath $csv | Where-Object LogRange).Count | Should -Be $wal.Count
        (Get-BackupRecoveryWindow -Collection orders-pitr -Repository $repository).WalSegmentCount | Should -Be $segments
    }

    It 'Test-Backup checks the WAL the backup needs, one result per stretch of WAL files' {
        $results = Get-Backup -Collection orders-pitr -Repository $repository -Latest | Test-Backup -ErrorVariable err
        $err | Should -BeNullOrEmpty
        @($results | Where-Object Artifact -eq 'orders-db/base.tar.br').Count | Should -Be 1
        $wal = @($results | Where-Object Artifact -like 'wal/*')
        $wal.Count | Should -BeGreaterThan 0
        $wal | ForEach-Object { $_.Status | Should -Be 'Ok' }
        $wal[-1].Artifact | Should -Match '^wal/[0-9A-F]{24}(\.\.[0-9A-F]{24})?$'
        $wal[-1].Message | Should -BeLike '*WAL file(s): size and SHA-256 verified'
        $wal[-1].Target | Should -Be 'orders-db'
        $wal[-1].BackupId | Should -Be $incremental.Id
    }

    It 'Restore-Backup -PointInTime gives a cluster with exactly the rows committed before that moment' {
        $restored = Join-Path $work 'restored'
        $result = Get-Backup -Collection orders-pitr -Repository $repository -Latest |
            Restore-Backup -Destination $restored -PointInTime $point -Confirm:$false
        $result.Destination | Should -Be $restored
        Join-Path $restored 'recovery.signal' | Should -Exist

        $restoredPort = Get-FreeTestPort -Exclude $port
        & runuser -u postgres -- (Join-Path $pgBin 'pg_ctl') -D $restored -o "-p $restoredPort" -l "$work/restored.log" -w -t 120 start | Out-Null
        try {
            # pg_ctl -w returns once read-only connections are accepted, possibly before recovery has finished.
            foreach ($i in 1..1200) {
                if ((Invoke-Pg 'SELECT pg_is_in_recovery()' -Port $restoredPort) -eq 'f') { break }
                Start-Sleep -Milliseconds 100
            }
            Invoke-Pg 'SELECT pg_is_in_recovery()' -Port $restoredPort | Should -Be 'f'
            Invoke-Pg 'SELECT id FROM orders ORDER BY id' -Port $restoredPort | Should -Be @('1', '2')
        } finally {
            & runuser -u postgres -- (Join-Path $pgBin 'pg_ctl') -D $restored -m immediate stop | Out-Null
        }
    }

    It 'a point outside the window is refused with RecoveryTargetOutOfRange, writing nothing' {
        $destination = Join-Path $work 'too-late'
        Restore-Backup -Id $incremental.Id -Repository $repository -Destination $destination -PointInTime ([DateTimeOffset]::UtcNow.AddDays(1)) `
            -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'RecoveryTargetOutOfRange*'
        $err[0].Exception.Message | Should -BeLike '*recoverable window is*'
        $destination | Should -Not -Exist
    }

    It 'two recovery targets at once are refused with ConflictingRecoveryTargets' {
        Restore-Backup -Id $incremental.Id -Repository $repository -Destination (Join-Path $work 'x') -PointInTime $point -EndOfArchive `
            -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ConflictingRecoveryTargets*'
    }

    It 'Restore-Backup -WhatIf says what it would restore, and restores nothing' {
        $destination = Join-Path $work 'whatif'
        $run = Invoke-WhatIf { $incremental | Restore-Backup -Destination $destination -EndOfArchive -WhatIf }
        $run.Errors | Should -BeNullOrEmpty
        $run.Output | Should -BeNullOrEmpty
        @($run.WhatIf).Count | Should -Be 1
        $run.WhatIf | Should -BeLike "What if: Performing the operation ""Restore to $destination, recovered to *"" on target ""target 'orders-db' (*) of backup $($incremental.Id)""."
        $destination | Should -Not -Exist
    }

    It 'Invoke-RetentionPolicy removes the WAL no kept backup needs; the window keeps its earliest point' {
        $before = Get-BackupRecoveryWindow -Collection orders-pitr -Repository $repository
        $before.WalSegmentCount | Should -BeGreaterThan 0
        $done = Invoke-RetentionPolicy -Collection orders-pitr -Repository $repository -KeepLast 1 -Confirm:$false -ErrorVariable err
        $err | Should -BeNullOrEmpty
        $removed = @($done | Where-Object { $_.LogRange -and $_.Deleted })
        $removed.Count | Should -BeGreaterThan 0
        $after = Get-BackupRecoveryWindow -Collection orders-pitr -Repository $repository
        $after.Earliest | Should -Be $full.EndTime
        $after.MissingSegment | Should -BeNullOrEmpty
        $after.WalSegmentCount | Should -BeLessThan $before.WalSegmentCount
        @(Invoke-RetentionPolicy -Collection orders-pitr -Repository $repository -KeepLast 1 -WhatIf | Where-Object { $_.LogRange -and $_.Action -eq 'Delete' }).Count | Should -Be 0
    }
}
