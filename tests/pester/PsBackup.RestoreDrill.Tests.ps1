#Requires -Version 7.4
# Pester 5: Invoke-RestoreDrill and Get-RestoreDrill as an admin scripts them: a drill of a file
# tree, of PostgreSQL tables (the test primary of tests/peers, PSBACKUP_TEST_PG_* variables), of
# Redis (a redis-server started here), of a PostgreSQL cluster (a throwaway one archiving through
# psbackup-cli) and of MongoDB (the congodb peer, PSBACKUP_TEST_MONGO); results asserted on as
# objects and as CSV, a tampered backup that fails with a reason, objectives that fail, -WhatIf
# that creates nothing, the evidence read back, and scratch places (folders, databases, servers)
# gone after every drill. The engine tests (tests/PsBackup.Engine.Tests/Drills) cover each kind in
# depth, Ctrl+C included.

Describe 'Restore drills' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'PsBackup.TestHelpers.ps1')
        Import-Module (Get-PsBackupModuleManifest) -Force -ErrorAction Stop

        $repository = Join-Path $TestDrive 'repository'
        $source = Join-Path $TestDrive 'source'
        New-TestTree -Path $source -File @{ 'a.txt' = 'alpha'; 'sub/b.bin' = 'b' * 100000; 'sub/deeper/c.txt' = 'gamma' }
        $null = New-BackupTarget -Path $source -Name files | New-BackupCollection -Name drilled -Repository $repository -ErrorAction Stop
        $backup = Invoke-Backup -Name drilled -Repository $repository -ErrorAction Stop

        # The drills' temporary folders now present (file trees and Redis restore under psbackup-drill-*).
        function Get-ScratchFolder { @(Get-ChildItem -LiteralPath ([System.IO.Path]::GetTempPath()) -Directory -Filter 'psbackup-drill-*' | ForEach-Object FullName) }
    }

    Context 'A file tree' {
        It 'passes on a good backup, with plausible RTO and RPO, and removes its folder' {
            $scratchBefore = Get-ScratchFolder
            $before = [DateTimeOffset]::UtcNow
            $drills = @(Invoke-RestoreDrill -Collection drilled -Repository $repository -ErrorVariable err)
            $after = [DateTimeOffset]::UtcNow
            $err | Should -BeNullOrEmpty
            $drills | Should -HaveCount 1
            $d = $drills[0]
            $d | Should -BeOfType PsBackup.RestoreDrillResult
            $d.Status | Should -Be 'Passed'
            $d.Reason | Should -Be ''
            $d.Target | Should -Be 'files'
            $d.BackupId | Should -Be $backup.Id
            $d.ChecksFailed | Should -Be 0
            $d.ChecksPassed | Should -BeGreaterThan 2
            $d.CheckList.Count | Should -Be $d.ChecksPassed
            ($d.CheckList | Where-Object Name -like 'contents*').Expected | Should -BeLike '3 files, *'
            $d.RestoreDuration | Should -BeGreaterThan ([TimeSpan]::Zero)
            $d.RestoreDuration | Should -BeLessOrEqual ($after - $before)
            $d.RestoredPointInTime | Should -Be $backup.EndTime
            $d.DataLoss | Should -BeGreaterOrEqual ($before - $backup.EndTime)
            $d.DataLoss | Should -BeLessOrEqual ($after - $backup.EndTime)
            $d.Kept | Should -BeFalse
            Test-Path -LiteralPath $d.RestoredTo | Should -BeFalse
            (Get-ScratchFolder) -join ',' | Should -Be ($scratchBefore -join ',')
        }

        It 'exports one flat row per drill' {
            $csv = @(Invoke-RestoreDrill -Collection drilled -Repository $repository -ErrorVariable err | ConvertTo-Csv | ConvertFrom-Csv)
            $err | Should -BeNullOrEmpty
            $csv | Should -HaveCount 1
            $csv[0].Status | Should -Be 'Passed'
            $csv[0].CheckList | Should -Match '^\d+ passed$'
            [TimeSpan]::Parse($csv[0].RestoreDuration) | Should -BeGreaterThan ([TimeSpan]::Zero)
            $csv[0].PSObject.Properties.Value -join ' ' | Should -Not -Match 'System\.|\[\]'
        }

        It 'records evidence that Get-RestoreDrill and Get-Backup read back' {
            $d = Invoke-RestoreDrill -Collection drilled -Repository $repository -ErrorAction Stop
            $recorded = @(Get-RestoreDrill -Collection drilled -Repository $repository -Latest -ErrorVariable err)
            $err | Should -BeNullOrEmpty
            $recorded | Should -HaveCount 1
            $recorded[0].DrillId | Should -Be $d.DrillId
            $recorded[0].RestoreDuration | Should -Be $d.RestoreDuration
            $recorded[0].DataLoss | Should -Be $d.DataLoss
            $recorded[0].CheckList.Count | Should -Be $d.CheckList.Count
            @(Get-RestoreDrill -Collection drilled -Repository $repository).Count | Should -BeGreaterOrEqual 3
            @(Get-Backup -Collection drilled -Repository $repository -Latest | Get-RestoreDrill -Latest).DrillId | Should -Be $d.DrillId
            $listed = Get-Backup -Collection drilled -Repository $repository -Id $backup.Id
            $listed.LastDrillStatus | Should -Be 'Passed'
            $listed.LastDrillTime | Should -BeGreaterOrEqual $d.StartTime
        }

        It '-WhatIf names the backup and the scratch place, and creates and records nothing' {
            $count = @(Get-RestoreDrill -Collection drilled -Repository $repository).Count
            $scratchBefore = Get-ScratchFolder
            $run = Invoke-WhatIf { Invoke-RestoreDrill -Collection drilled -Repository $repository -WhatIf }
            $run.Errors | Should -BeNullOrEmpty
            $run.Output | Should -BeNullOrEmpty
            @($run.WhatIf).Count | Should -Be 1
            $run.WhatIf | Should -BeLike "What if: Performing the operation ""Restore drill into *"" on target ""target 'files' (*) of collection 'drilled', backup $($backup.Id)""."
            @(Get-RestoreDrill -Collection drilled -Repository $repository).Count | Should -Be $count
            (Get-ScratchFolder) -join ',' | Should -Be ($scratchBefore -join ',')
        }

        It 'fails an objective it cannot meet with a non-terminating RestoreDrillObjectiveMissed, and still writes the result' {
            $drills = @(Invoke-RestoreDrill -Collection drilled -Repository $repository -MaxRto ([TimeSpan]::FromTicks(1)) -MaxRpo ([TimeSpan]::FromTicks(1)) -ErrorVariable err -ErrorAction SilentlyContinue)
            $drills | Should -HaveCount 1
            $drills[0].Status | Should -Be 'Failed'
            $drills[0].ChecksFailed | Should -Be 0
            $drills[0].ErrorId | Should -Be 'RestoreDrillObjectiveMissed'
            $drills[0].Reason | Should -Match '-MaxRto'
            $drills[0].Reason | Should -Match '-MaxRpo'
            $drills[0].MaxRto | Should -Be ([TimeSpan]::FromTicks(1))
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'RestoreDrillObjectiveMissed,*'
            $err[0].TargetObject | Should -Be 'files'
            (Get-Backup -Collection drilled -Repository $repository -Id $backup.Id).LastDrillStatus | Should -Be 'Failed'
        }

        It 'meets generous objectives' {
            $d = @(Invoke-RestoreDrill -Collection drilled -Repository $repository -MaxRto 01:00:00 -MaxRpo 1.00:00:00 -ErrorVariable err)
            $err | Should -BeNullOrEmpty
            $d | Should -HaveCount 1
            $d[0].Status | Should -Be 'Passed'
            $d[0].MaxRpo | Should -Be ([TimeSpan]::FromDays(1))
        }

        It '-KeepRestored leaves the restored tree for a person to look at' {
            $d = @(Invoke-RestoreDrill -Collection drilled -Repository $repository -KeepRestored -ErrorVariable err)
            $err | Should -BeNullOrEmpty
            $d | Should -HaveCount 1
            $d[0].Kept | Should -BeTrue
            Get-Content -LiteralPath (Join-Path $d[0].RestoredTo 'a.txt') | Should -Be 'alpha'
            Remove-Item -LiteralPath (Split-Path $d[0].RestoredTo) -Recurse -Force
        }

        It 'refuses bad input with PsBackup ErrorIds and drills nothing' {
            $count = @(Get-RestoreDrill -Collection drilled -Repository $repository).Count
            $out = @(Invoke-RestoreDrill -Collection drilled -Repository $repository -MaxRto (New-TimeSpan -Seconds -5) -ErrorVariable e1 -ErrorAction SilentlyContinue)
            $out | Should -HaveCount 0
            $e1 | Should -HaveCount 1
            $e1[0].FullyQualifiedErrorId | Should -BeLike 'InvalidObjective,*'
            $out = @(Invoke-RestoreDrill -Collection drilled -Repository $repository -Target nope -ErrorVariable e2 -ErrorAction SilentlyContinue)
            $out | Should -HaveCount 0
            $e2[0].FullyQualifiedErrorId | Should -BeLike 'UnknownTarget,*'
            $out = @(Invoke-RestoreDrill -Collection no-such -Repository $repository -ErrorVariable e3 -ErrorAction SilentlyContinue)
            $out | Should -HaveCount 0
            $e3[0].FullyQualifiedErrorId | Should -BeLike 'CollectionNotFound,*'
            $out = @(Get-RestoreDrill -Collection drilled -Id 'not-an-id' -Repository $repository -ErrorVariable e4 -ErrorAction SilentlyContinue)
            $out | Should -HaveCount 0
            $e4[0].FullyQualifiedErrorId | Should -BeLike 'InvalidBackupId,*'
            @(Get-RestoreDrill -Collection drilled -Repository $repository).Count | Should -Be $count
        }

        It 'fails a tampered backup with a clear reason, and leaves no scratch folder' {
            $tampered = Invoke-Backup -Name drilled -Repository $repository -ErrorAction Stop
            $pack = Get-ChildItem -LiteralPath (Join-Path $repository 'collections' 'drilled' 'backups' $tampered.Id) -Recurse -File |
                Where-Object Name -like 'pack-*' | Select-Object -First 1
            $bytes = [System.IO.File]::ReadAllBytes($pack.FullName)
            $bytes[[int]($bytes.Length / 2)] = $bytes[[int]($bytes.Length / 2)] -bxor 0xff
            [System.IO.File]::WriteAllBytes($pack.FullName, $bytes)
            $scratchBefore = Get-ScratchFolder

            $drills = @(Invoke-RestoreDrill -Collection drilled -Repository $repository -ErrorVariable err -ErrorAction SilentlyContinue)
            $drills | Should -HaveCount 1
            $drills[0].BackupId | Should -Be $tampered.Id
            $drills[0].Status | Should -Be 'Failed'
            $drills[0].Reason | Should -Match 'pack-'
            $drills[0].ErrorId | Should -Be 'ArtifactCorrupt'
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'ArtifactCorrupt,*'
            (Get-ScratchFolder) -join ',' | Should -Be ($scratchBefore -join ',')
            (Get-RestoreDrill -Collection drilled -Repository $repository -Id $tampered.Id).Status | Should -Be 'Failed'

            # The good backup still drills: -Id, bound from Get-Backup.
            $good = @(Get-Backup -Collection drilled -Repository $repository -Id $backup.Id | Invoke-RestoreDrill -ErrorVariable err2)
            $err2 | Should -BeNullOrEmpty
            $good | Should -HaveCount 1
            $good[0].BackupId | Should -Be $backup.Id
            $good[0].Status | Should -Be 'Passed'
        }

        It 'retention deletes the evidence with the backup' {
            $before = @(Get-RestoreDrill -Collection drilled -Repository $repository)
            $before.Count | Should -BeGreaterThan 0
            $decisions = @(Invoke-RetentionPolicy -Collection drilled -Repository $repository -KeepLast 1 -Confirm:$false -ErrorVariable err)
            $err | Should -BeNullOrEmpty
            ($decisions | Where-Object { $_.BackupId -eq $backup.Id }).Deleted | Should -BeTrue
            @(Get-RestoreDrill -Collection drilled -Repository $repository -Id $backup.Id) | Should -HaveCount 0
            @(Get-RestoreDrill -Collection drilled -Repository $repository).Count | Should -BeLessThan $before.Count
        }
    }

    Context 'Ctrl+C' {
        It 'stops the drill, removes its folder and records nothing' {
            $big = Join-Path $TestDrive 'big'
            $null = New-Item -ItemType Directory -Path $big
            $bytes = [byte[]]::new(160MB)
            [System.Random]::new(7).NextBytes($bytes)
            [System.IO.File]::WriteAllBytes((Join-Path $big 'random.bin'), $bytes)
            $null = New-BackupTarget -Path $big -Name big | New-BackupCollection -Name stopped -Repository $repository -Compression None -ErrorAction Stop
            $null = Invoke-Backup -Name stopped -Repository $repository -ErrorAction Stop
            $scratchBefore = Get-ScratchFolder
            $shell = New-PsBackupShell
            try {
                $null = $shell.AddCommand('Invoke-RestoreDrill').AddParameter('Collection', 'stopped').AddParameter('Repository', $repository)
                $running = $shell.BeginInvoke()
                $deadline = (Get-Date).AddSeconds(60)
                while (-not (Get-ScratchFolder | Where-Object { $_ -notin $scratchBefore })) {
                    if ($running.IsCompleted) { throw "Invoke-RestoreDrill ended before it could be stopped: $($shell.Streams.Error)" }
                    if ((Get-Date) -gt $deadline) { throw 'Invoke-RestoreDrill never created its folder.' }
                    Start-Sleep -Milliseconds 10
                }
                $shell.Stop() # what Ctrl+C does: StopProcessing
                $shell.InvocationStateInfo.State | Should -Be 'Stopped'
            }
            finally {
                $shell.Dispose()
            }
            (Get-ScratchFolder) -join ',' | Should -Be ($scratchBefore -join ',')
            @(Get-RestoreDrill -Collection stopped -Repository $repository) | Should -HaveCount 0
        }
    }

    Context 'An encrypted collection' {
        It 'needs the passphrase' {
            $passphrase = ConvertTo-SecureString 'correct horse battery' -AsPlainText -Force
            $null = New-BackupTarget -Path $source -Name files | New-BackupCollection -Name sealed -Repository $repository -EncryptionPassphrase $passphrase -ErrorAction Stop
            $null = Invoke-Backup -Name sealed -Repository $repository -EncryptionPassphrase $passphrase -ErrorAction Stop
            $saved = $env:PSBACKUP_PASSPHRASE
            $env:PSBACKUP_PASSPHRASE = $null
            try {
                $without = @(Invoke-RestoreDrill -Collection sealed -Repository $repository -ErrorVariable err -ErrorAction SilentlyContinue)
                $without | Should -HaveCount 1
                $without[0].Status | Should -Be 'Failed'
                $err[0].FullyQualifiedErrorId | Should -BeLike 'PassphraseRequired,*'
                $with = @(Invoke-RestoreDrill -Collection sealed -Repository $repository -EncryptionPassphrase $passphrase -ErrorVariable err2)
                $err2 | Should -BeNullOrEmpty
                $with | Should -HaveCount 1
                $with[0].Status | Should -Be 'Passed'
            }
            finally { $env:PSBACKUP_PASSPHRASE = $saved }
        }
    }

    Context 'PostgreSQL tables' {
        BeforeAll {
            $pgHost = $env:PSBACKUP_TEST_PG_HOST ?? '127.0.0.1'
            $pgPort = [int]($env:PSBACKUP_TEST_PG_PORT ?? '15432')
            $pgUser = $env:PSBACKUP_TEST_PG_USER ?? 'postgres'
            $psql = Join-Path ($env:PSBACKUP_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin') 'psql'
            function Invoke-Sql([string] $Database, [string] $Sql) {
                $output = & $psql -X -q -At -v ON_ERROR_STOP=1 -h $pgHost -p $pgPort -U $pgUser -d $Database -c $Sql
                if ($LASTEXITCODE -ne 0) { throw "psql failed: $Sql" }
                $output
            }
            $database = 'psb_pester_drill_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
            Invoke-Sql postgres "CREATE DATABASE $database"
            Invoke-Sql $database @'
CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL, qty int);
INSERT INTO items (name, qty) SELECT 'item ' || g, g FROM generate_series(1, 700) g;
CREATE TABLE notes (body text);
INSERT INTO notes SELECT md5(g::text) FROM generate_series(1, 50) g;
'@
            $null = New-BackupTarget -PostgreSql -Server $pgHost -Port $pgPort -Database $database -UserName $pgUser -Name shopdb |
                New-BackupCollection -Name pg-drilled -Repository $repository -ErrorAction Stop
            $pgBackup = Invoke-Backup -Name pg-drilled -Repository $repository -ErrorAction Stop
            function Get-ScratchDatabase { @(Invoke-Sql postgres "SELECT datname FROM pg_database WHERE datname LIKE 'psbackup_drill_%' ORDER BY 1") }
        }

        AfterAll {
            Invoke-Sql postgres "DROP DATABASE IF EXISTS $database WITH (FORCE)" | Out-Null
        }

        It 'passes with exact row counts in a scratch database that is dropped afterwards' {
            $scratchBefore = Get-ScratchDatabase
            $drills = @(Invoke-RestoreDrill -Collection pg-drilled -Repository $repository -VerifyQuery 'SELECT count(*) = 700 FROM items' -ErrorVariable err)
            $err | Should -BeNullOrEmpty
            $drills | Should -HaveCount 1
            $d = $drills[0]
            $d.Status | Should -Be 'Passed'
            $d.Kind | Should -Be 'postgreSql'
            $d.BackupId | Should -Be $pgBackup.Id
            ($d.CheckList | Where-Object Name -eq 'rows of public.items').Observed | Should -BeLike '700 rows, sum *'
            ($d.CheckList | Where-Object Name -eq 'rows of public.notes').Observed | Should -BeLike '50 rows, sum *'
            $verify = @($d.CheckList | Where-Object Name -like '*VerifyQuery*')
            $verify | Should -HaveCount 1
            $verify[0].Passed | Should -BeTrue
            $d.RestoredTo | Should -Match 'psbackup_drill_'
            (Get-ScratchDatabase) -join ',' | Should -Be ($scratchBefore -join ',')
            Invoke-Sql $database 'SELECT count(*) FROM items' | Should -Be '700'
        }

        It 'fails when -VerifyQuery finds the data wrong' {
            $drills = @(Invoke-RestoreDrill -Collection pg-drilled -Repository $repository -VerifyQuery 'SELECT count(*) = 1 FROM items' -ErrorVariable err -ErrorAction SilentlyContinue)
            $drills | Should -HaveCount 1
            $drills[0].Status | Should -Be 'Failed'
            $drills[0].ChecksFailed | Should -Be 1
            $drills[0].Reason | Should -Match 'VerifyQuery'
            $err[0].FullyQualifiedErrorId | Should -BeLike 'RestoreDrillFailed,*'
            (Get-ScratchDatabase) | Should -BeNullOrEmpty
        }
    }

    Context 'Redis' {
        BeforeAll {
            $port = Get-FreeTestPort
            $dir = Join-Path $TestDrive "redis-$port"
            $null = New-Item -ItemType Directory -Path $dir
            $redis = Start-Process -FilePath redis-server -PassThru -ArgumentList @(
                '--bind', '127.0.0.1', '--port', $port, '--dir', $dir, '--save', '""', '--appendonly', 'no',
                '--repl-diskless-sync-delay', '0', '--logfile', (Join-Path $dir 'redis.log'))
            $deadline = (Get-Date).AddSeconds(20)
            while (((redis-cli -p $port ping 2>&1) -join '') -notmatch 'PONG') {
                if ((Get-Date) -gt $deadline) { throw "redis-server on port $port did not start" }
                Start-Sleep -Milliseconds 100
            }
            1..40 | ForEach-Object { $null = redis-cli -p $port set "user:$_" "name $_" }
            $null = redis-cli -p $port set 'session:1' 'x' EX 3600
            $null = redis-cli -p $port -n 2 hset 'cart:9' item book
            $null = New-BackupTarget -RedisEndpoint "127.0.0.1:$port" -Name cache | New-BackupCollection -Name redis-drilled -Repository $repository -ErrorAction Stop
            $null = Invoke-Backup -Name redis-drilled -Repository $repository -ErrorAction Stop
        }

        AfterAll {
            Stop-Process -Id $redis.Id -ErrorAction SilentlyContinue
        }

        It 'passes with exact key counts per database from a redis-server of its own, which is gone afterwards' {
            $scratchBefore = Get-ScratchFolder
            $drills = @(Invoke-RestoreDrill -Collection redis-drilled -Repository $repository -ErrorVariable err)
            $err | Should -BeNullOrEmpty
            $drills | Should -HaveCount 1
            $d = $drills[0]
            $d.Status | Should -Be 'Passed'
            ($d.CheckList | Where-Object Name -like 'keys in database 0*').Observed | Should -Be '41 keys'
            ($d.CheckList | Where-Object Name -like 'keys in database 2*').Observed | Should -Be '1 keys'
            @($d.CheckList | Where-Object Name -like 'values of *').Count | Should -BeGreaterThan 0
            $drillPort = [int]($d.RestoredTo -replace '^.*:(\d+).*$', '$1')
            ((redis-cli -p $drillPort ping 2>&1) -join '') | Should -Not -Match 'PONG'
            (Get-ScratchFolder) -join ',' | Should -Be ($scratchBefore -join ',')
            redis-cli -p $port dbsize | Should -Be '41'
        }
    }

    Context 'A PostgreSQL cluster' {
        BeforeAll {
            # A throwaway cluster archiving its WAL through psbackup-cli, as in PsBackup.PostgreSqlCluster.Tests.ps1:
            # everything in a /tmp folder the postgres user may use, the CLI copied where it may read it.
            $pgBin = $env:PSBACKUP_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin'
            $clusterPsql = Join-Path $pgBin 'psql'
            $clusterWork = Join-Path '/tmp' "psbackup-pester-drill-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
            $clusterRepository = Join-Path $clusterWork 'repo'
            $clusterData = Join-Path $clusterWork 'data'
            $null = New-Item -ItemType Directory -Path $clusterWork
            Copy-Item -LiteralPath (Split-Path -Parent (Get-PsBackupCli)) -Destination (Join-Path $clusterWork 'cli') -Recurse
            $clusterCli = Join-Path $clusterWork 'cli' 'psbackup-cli.dll'
            & chmod -R a+rX (Join-Path $clusterWork 'cli')
            $clusterPort = Get-FreeTestPort
            function Invoke-ClusterSql([string] $Sql) {
                $out = & $clusterPsql -h 127.0.0.1 -p $clusterPort -U postgres -Atqc $Sql
                if ($LASTEXITCODE -ne 0) { throw "psql failed: $Sql" }
                $out
            }
            function Wait-ClusterArchived {
                $segment = Invoke-ClusterSql 'SELECT pg_walfile_name(pg_switch_wal())'
                foreach ($i in 1..300) {
                    $archived, $failed = (Invoke-ClusterSql "SELECT coalesce(last_archived_wal, '') >= '$segment', failed_count FROM pg_stat_archiver") -split '\|'
                    if ($archived -eq 't') { return }
                    if ([int]$failed -gt 0) { throw "archive_command failed $failed time(s); see $clusterWork/primary.log" }
                    Start-Sleep -Milliseconds 200
                }
                throw "WAL segment $segment was not archived"
            }
            & chown postgres: $clusterWork
            & runuser -u postgres -- (Join-Path $pgBin 'initdb') -D $clusterData --auth=trust -U postgres --no-sync | Out-Null
            Add-Content -LiteralPath (Join-Path $clusterData 'postgresql.conf') -Value @"
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
wal_level = replica
archive_mode = on
fsync = off
"@
            & runuser -u postgres -- (Join-Path $pgBin 'pg_ctl') -D $clusterData -o "-p $clusterPort" -l "$clusterWork/primary.log" -w start | Out-Null
            $null = New-BackupTarget -PostgreSqlCluster -Server 127.0.0.1 -Port $clusterPort -Name orders-db -UserName postgres |
                New-BackupCollection -Name cluster-drilled -Repository $clusterRepository -ErrorAction Stop
            & chown -R postgres: $clusterRepository
            $archiveCommand = Get-BackupArchiveCommand -Collection cluster-drilled -Repository $clusterRepository -Archiver dotnet, $clusterCli -ErrorAction Stop
            Invoke-ClusterSql "ALTER SYSTEM SET archive_command = $($archiveCommand.ConfigurationLine -replace '^archive_command = ', '')" | Out-Null
            Invoke-ClusterSql 'SELECT pg_reload_conf()' | Out-Null
            Invoke-ClusterSql 'CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders SELECT generate_series(1, 300)' | Out-Null
            Wait-ClusterArchived
            $clusterBackup = Invoke-Backup -Name cluster-drilled -Repository $clusterRepository -ErrorAction Stop
            Invoke-ClusterSql 'INSERT INTO orders SELECT generate_series(301, 420)' | Out-Null
            Wait-ClusterArchived
            # Servers whose command line names a drill folder: the drills' own.
            function Get-DrillServer { @(Get-Process -Name postgres -ErrorAction SilentlyContinue | Where-Object CommandLine -like '*psbackup-drill-*' | ForEach-Object Id) }
        }

        AfterAll {
            if (Test-Path (Join-Path $clusterData 'postmaster.pid')) {
                & runuser -u postgres -- (Join-Path $pgBin 'pg_ctl') -D $clusterData -m immediate stop | Out-Null
            }
            Remove-Item -LiteralPath $clusterWork -Recurse -Force -ErrorAction SilentlyContinue
        }

        It 'recovers to the end of the archive in a server of its own, answers -VerifyQuery, and leaves no server or folder' {
            $scratchBefore = Get-ScratchFolder
            $serversBefore = Get-DrillServer
            $drills = @(Invoke-RestoreDrill -Collection cluster-drilled -Repository $clusterRepository `
                    -VerifyQuery "\c postgres`nSELECT count(*) = 420 FROM orders" -ErrorVariable err)
            $err | Should -BeNullOrEmpty
            $drills | Should -HaveCount 1
            $d = $drills[0]
            $d.Status | Should -Be 'Passed' -Because $d.Reason
            $d.Kind | Should -Be 'PostgreSqlCluster'
            $d.BackupId | Should -Be $clusterBackup.Id
            $d.Recovery | Should -Be 'the end of the archived log'
            ($d.CheckList | Where-Object Name -like 'recovery ended*').Observed | Should -Be 'not in recovery'
            @($d.CheckList | Where-Object Name -like 'recovered to the end of the archived WAL*' | Where-Object Passed) | Should -HaveCount 1
            $verify = @($d.CheckList | Where-Object Name -like '*VerifyQuery*')
            $verify | Should -HaveCount 1
            $verify[0].Observed | Should -Be 'True'
            $d.RestoredPointInTime | Should -BeGreaterThan $clusterBackup.EndTime # the WAL after the base backup was replayed
            $d.ChecksFailed | Should -Be 0
            (Get-ScratchFolder) -join ',' | Should -Be ($scratchBefore -join ',')
            (Get-DrillServer) -join ',' | Should -Be ($serversBefore -join ',')
            Invoke-ClusterSql 'SELECT count(*) FROM orders' | Should -Be '420' # the live cluster is untouched
        }

        It 'fails when -VerifyQuery finds the data wrong, and still stops its server' {
            $serversBefore = Get-DrillServer
            $drills = @(Invoke-RestoreDrill -Collection cluster-drilled -Repository $clusterRepository `
                    -VerifyQuery "\c postgres`nSELECT count(*) = 1 FROM orders" -ErrorVariable err -ErrorAction SilentlyContinue)
            $drills | Should -HaveCount 1
            $drills[0].Status | Should -Be 'Failed'
            $drills[0].ChecksFailed | Should -Be 1
            $drills[0].Reason | Should -Match 'VerifyQuery'
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'RestoreDrillFailed,*'
            (Get-DrillServer) -join ',' | Should -Be ($serversBefore -join ',')
        }
    }

    Context 'A MongoDB database' {
        BeforeAll {
            # The MongoDB-wire test server of tests/peers (congodb); data made and digested by psbackup-cli mongo-data, as in PsBackup.MongoDb.Tests.ps1.
            $mongoCli = Get-PsBackupCli
            function Invoke-MongoData {
                $output = & dotnet $mongoCli mongo-data @args
                if ($LASTEXITCODE -ne 0) { throw "psbackup-cli mongo-data $args failed" }
                $output
            }
            $mongoServer = ($env:PSBACKUP_TEST_MONGO ?? 'mongodb://127.0.0.1:27027').TrimEnd('/')
            $mongoDatabase = 'psb_pester_drill_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
            Invoke-MongoData generate "$mongoServer/$mongoDatabase" --collection orders --documents 600 --size 500
            Invoke-MongoData generate "$mongoServer/$mongoDatabase" --collection users --documents 40 --size 200
            $mongoDigest = @(Invoke-MongoData digest "$mongoServer/$mongoDatabase" | ConvertFrom-Json)
            $null = New-BackupTarget -MongoDb -ConnectionString "$mongoServer/$mongoDatabase" -Name shop |
                New-BackupCollection -Name mongo-drilled -Repository $repository -ErrorAction Stop
            $mongoBackup = Invoke-Backup -Name mongo-drilled -Repository $repository -ErrorAction Stop -WarningAction SilentlyContinue # a standalone server: no one point in time
        }

        AfterAll {
            Invoke-MongoData drop "$mongoServer/$mongoDatabase"
        }

        It 'passes with exact document counts and digests in a scratch database that is dropped afterwards' {
            $mongoDigest | Should -HaveCount 2
            $drills = @(Invoke-RestoreDrill -Collection mongo-drilled -Repository $repository -ErrorVariable err)
            $err | Should -BeNullOrEmpty
            $drills | Should -HaveCount 1
            $d = $drills[0]
            $d.Status | Should -Be 'Passed' -Because $d.Reason
            $d.Kind | Should -Be 'MongoDb'
            $d.BackupId | Should -Be $mongoBackup.Id
            $d.ChecksFailed | Should -Be 0
            ($d.CheckList | Where-Object Name -eq 'orders: documents').Observed | Should -Be '600'
            ($d.CheckList | Where-Object Name -eq 'users: documents').Observed | Should -Be '40'
            foreach ($c in $mongoDigest) {
                ($d.CheckList | Where-Object Name -eq "$($c.Collection): content (every document's bytes)").Observed | Should -Be $c.Digest
            }
            $scratch = [regex]::Match($d.RestoredTo, 'psbackup_drill_[0-9a-z_]+').Value
            $scratch | Should -Not -BeNullOrEmpty
            @(Invoke-MongoData digest "$mongoServer/$scratch") | Should -HaveCount 0 # dropped: no collections left
            (@(Invoke-MongoData digest "$mongoServer/$mongoDatabase") | ConvertFrom-Json).Documents | Should -Be @(600, 40) # the source is untouched
            (Get-RestoreDrill -Collection mongo-drilled -Repository $repository -Latest).DrillId | Should -Be $d.DrillId
        }
    }

    Context 'The recipe docs/recipes/restore-drills.Tests.ps1' {
        BeforeAll {
            # It runs as a scheduler runs it: a pwsh of its own, the module and Pester imported, settings in the environment.
            function Invoke-Recipe([string] $Repository, [string] $Tag) {
                $recipe = Join-Path (Get-PsBackupRepoRoot) 'docs' 'recipes' 'restore-drills.Tests.ps1'
                $pester = Join-Path (Get-Module Pester).ModuleBase 'Pester.psd1' # the manifest: the recipe #Requires Pester by version
                $script = "Import-Module '$pester'; Import-Module '$(Get-PsBackupModuleManifest)'; " +
                    "`$r = Invoke-Pester -Path '$recipe' -TagFilter $Tag -PassThru -Output None; '{0} {1}' -f `$r.PassedCount, (`$r.FailedCount + `$r.FailedContainersCount)"
                $env:PSBACKUP_REPOSITORY = $Repository
                $env:PSBACKUP_DR_REPOSITORY = $Repository
                $env:PSBACKUP_DRILL_COLLECTIONS = 'recipe'
                try {
                    $output = @(& (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -Command $script 2>&1)
                    $output | Select-Object -Last 1 | Should -Match '^\d+ \d+$' -Because ($output -join "`n")
                    $output[-1]
                }
                finally { $env:PSBACKUP_REPOSITORY = $savedRepository; $env:PSBACKUP_DR_REPOSITORY = $null; $env:PSBACKUP_DRILL_COLLECTIONS = $null }
            }
            $savedRepository = $env:PSBACKUP_REPOSITORY
            $recipeRepository = Join-Path $TestDrive 'recipe-repository'
            $null = New-BackupTarget -Path $source -Name files | New-BackupCollection -Name recipe -Repository $recipeRepository -ErrorAction Stop
        }

        It 'passes the weekly test and the monthly exercise on a fresh, good backup' {
            $null = Invoke-Backup -Name recipe -Repository $recipeRepository -ErrorAction Stop
            Invoke-Recipe $recipeRepository Weekly | Should -Be '5 0'
            Invoke-Recipe $recipeRepository Monthly | Should -Be '4 0'
            @(Get-RestoreDrill -Collection recipe -Repository $recipeRepository).Count | Should -Be 2
        }

        It 'fails the integrity and pass assertions on a tampered backup' {
            $tampered = Invoke-Backup -Name recipe -Repository $recipeRepository -ErrorAction Stop
            $pack = Get-ChildItem -LiteralPath (Join-Path $recipeRepository 'collections' 'recipe' 'backups' $tampered.Id) -Recurse -File |
                Where-Object Name -like 'pack-*' | Select-Object -First 1
            $bytes = [System.IO.File]::ReadAllBytes($pack.FullName)
            $bytes[0] = $bytes[0] -bxor 0xff
            [System.IO.File]::WriteAllBytes($pack.FullName, $bytes)
            Invoke-Recipe $recipeRepository Weekly | Should -Be '2 3' # integrity, RPO (nothing recovered) and the pass fail
        }
    }
}
