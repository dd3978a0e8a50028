#Requires -Version 7.4
# Pester 5: Test-DrEnvironment and Start-Failover as an admin types them, against a Redis primary
# and replica started here on free ports (redis-server and redis-cli on PATH), and a PostgreSQL 15
# primary and streaming standby (root, $env:PSBACKUP_TEST_PG_BIN or /usr/lib/postgresql/15/bin, the
# built psbackup-cli). Each test starts a pair of its own (failover changes roles; the shared test
# replica is never promoted) and a repository of its own; the servers are stopped after.

Describe 'PsBackup disaster recovery' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'PsBackup.TestHelpers.ps1')
        Import-Module (Get-PsBackupModuleManifest) -Force -ErrorAction Stop
        $savedRepository = $env:PSBACKUP_REPOSITORY
        $savedAuth = $env:REDISCLI_AUTH
        $env:REDISCLI_AUTH = $null
        $servers = [System.Collections.Generic.List[object]]::new()

        function Start-TestRedis([string[]] $Arguments = @()) { Start-TestRedisServer -Servers $servers -Folder $TestDrive -Arguments $Arguments }

        function Get-Role([int] $Port) { (redis-cli -p $Port role)[0] }

        # A primary with keys, a replica caught up, and collection 'cache' (replica listed first) backed up once.
        function New-ReplicatedCollection {
            $primary = Start-TestRedis
            $replica = Start-TestRedis -Arguments '--replicaof', '127.0.0.1', $primary.Port
            1..20 | ForEach-Object { $null = redis-cli -p $primary.Port set "k$_" "v$_" }
            $deadline = (Get-Date).AddSeconds(30)
            while ((redis-cli -p $replica.Port dbsize) -ne '20' -or ((redis-cli -p $replica.Port info replication) -join "`n") -notmatch 'master_link_status:up') {
                if ((Get-Date) -gt $deadline) { throw 'the replica did not catch up' }
                Start-Sleep -Milliseconds 50
            }
            $env:PSBACKUP_REPOSITORY = Join-Path $TestDrive "repository-$($primary.Port)"
            $target = New-BackupTarget -RedisEndpoint $replica.Endpoint, $primary.Endpoint -Name cache
            $null = New-BackupCollection -Name cache -Target $target
            $null = Invoke-Backup -Name cache -ErrorAction Stop
            [pscustomobject]@{ Primary = $primary; Replica = $replica }
        }
    }

    AfterAll {
        foreach ($server in $servers) { Stop-Process -Id $server.Process.Id -ErrorAction SilentlyContinue }
        $env:PSBACKUP_REPOSITORY = $savedRepository
        $env:REDISCLI_AUTH = $savedAuth
    }

    Context 'Test-DrEnvironment' {
        It 'writes one flat check per finding; only the missing drill fails, and -Quiet says $false' {
            $pair = New-ReplicatedCollection
            $checks = @(Test-DrEnvironment -Collection cache -ErrorVariable err)
            $err | Should -BeNullOrEmpty
            $checks.Count | Should -BeGreaterOrEqual 6
            $checks[0] | Should -BeOfType PsBackup.DrCheck
            $failed = @($checks | Where-Object Status -eq Fail)
            $failed.Check | Should -Be @('LastDrill')
            $failed[0].Observed | Should -Be 'never drilled'
            ($checks | Where-Object Check -eq Replica).Target | Should -Be "cache@$($pair.Replica.Endpoint)"
            ($checks | Where-Object Check -eq Replica).Status | Should -Be 'Pass'
            ($checks | Where-Object Check -eq TargetReachable).Status | Should -Be 'Pass'
            $csv = $checks | ConvertTo-Csv | ConvertFrom-Csv
            $csv[0].PSObject.Properties.Name | Should -Be @('Check', 'Collection', 'Target', 'Repository', 'Status', 'Observed', 'Expected', 'Message')
            Test-DrEnvironment -Collection cache -Quiet | Should -BeExactly $false
        }

        It 'passes every check once the collection is drilled, and -Quiet says $true' {
            $null = New-ReplicatedCollection
            $drill = @(Invoke-RestoreDrill -Collection cache -ErrorAction Stop)
            $drill.Status | Should -Be @('Passed')
            $checks = @(Test-DrEnvironment -Collection cache -Rto 0:10:00 -ErrorVariable err)
            $err | Should -BeNullOrEmpty
            $checks.Count | Should -BeGreaterOrEqual 7
            $checks | Where-Object Status -ne Pass | Should -BeNullOrEmpty
            $checks.Check | Should -Contain 'DrillRto'
            Test-DrEnvironment -Collection cache -Quiet | Should -BeExactly $true
        }

        It 'fails the replica check once the replica is stopped' {
            $pair = New-ReplicatedCollection
            Stop-Process -Id $pair.Replica.Process.Id
            $pair.Replica.Process.WaitForExit()
            $replica = Test-DrEnvironment -Collection cache -ErrorVariable err | Where-Object Check -eq Replica
            $err | Should -BeNullOrEmpty
            $replica.Status | Should -Be 'Fail'
            $replica.Observed | Should -Be 'unreachable'
        }

        It 'fails a DR copy that lacks the collection, and a collection absent from the repository' {
            $null = New-ReplicatedCollection
            $dr = Join-Path $TestDrive "empty-dr-$(Get-Random)"
            $null = New-BackupCollection -Name other -Repository $dr -Target (New-BackupTarget -Path $TestDrive -Name t)
            $checks = @(Test-DrEnvironment -Collection cache, nosuch -DrRepository $dr -ErrorVariable err)
            $err | Should -BeNullOrEmpty
            $missing = @($checks | Where-Object { $_.Check -eq 'CollectionPresent' -and $_.Status -eq 'Fail' })
            $missing.Count | Should -Be 2
            ($missing | Where-Object Collection -eq cache).Repository | Should -Be $dr
            ($missing | Where-Object Collection -eq nosuch).Message | Should -Match 'not in the primary repository'
        }
    }

    Context 'Start-Failover' {
        It '-WhatIf prints the plan and changes nothing' {
            $pair = New-ReplicatedCollection
            $result = Invoke-WhatIf { Start-Failover -Collection cache -WhatIf }
            $result.Errors | Should -BeNullOrEmpty
            $result.WhatIf | Should -HaveCount 1
            $result.WhatIf[0] | Should -Match "promote $([regex]::Escape($pair.Replica.Endpoint)) of target 'cache'"
            $result.WhatIf[0] | Should -Match 'estimated data loss 0 bytes'
            Get-Role $pair.Replica.Port | Should -Be 'slave'
            (Get-BackupCollection -Name cache).Targets[0].Endpoints | Should -Be @($pair.Replica.Endpoint, $pair.Primary.Endpoint)
        }

        It 'promotes the replica, runs the hooks with the context, repoints the collection and starts a new chain' {
            $pair = New-ReplicatedCollection
            $script:hooks = @()
            $output = @(Start-Failover -Collection cache -Confirm:$false -ErrorVariable err `
                    -BeforePromote { $script:hooks += "before $($_.OldPrimary)" } `
                    -AfterPromote { $script:hooks += "after $($_.NewPrimary)" })
            $err | Should -BeNullOrEmpty
            $steps = @($output | Where-Object { $_ -is [PsBackup.FailoverStep] })
            $steps.Step | Should -Be @('Assess', 'BeforePromote', 'Reassess', 'Promote', 'Verify', 'Repoint', 'AfterPromote', 'Backup')
            $steps.Status | Should -Not -Contain 'Failed'
            $summary = $output[-1]
            $summary | Should -BeOfType PsBackup.FailoverSummary
            $summary.NewPrimary | Should -Be $pair.Replica.Endpoint
            $summary.EstimatedDataLossBytes | Should -Be 0
            $summary.FailoverTime | Should -BeGreaterThan ([timespan]::Zero)
            $script:hooks | Should -Be @("before $($pair.Primary.Endpoint)", "after $($pair.Replica.Endpoint)")
            Get-Role $pair.Replica.Port | Should -Be 'master'
            (Get-BackupCollection -Name cache).Targets[0].Endpoints | Should -Be @($pair.Replica.Endpoint)
            (Get-Backup -Collection cache -Latest).Id | Should -Be $summary.NewBackupId
        }

        It 'stops at a throwing hook with FailoverHookFailed and promotes nothing' {
            $pair = New-ReplicatedCollection
            $output = @(Start-Failover -Collection cache -Confirm:$false -BeforePromote { throw 'fence failed' } -ErrorVariable err -ErrorAction SilentlyContinue)
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'FailoverHookFailed*'
            $err[0].Exception.Message | Should -Match 'fence failed'
            ($output | Where-Object Step -eq BeforePromote).Status | Should -Be 'Failed'
            Get-Role $pair.Replica.Port | Should -Be 'slave'
        }

        It 'refuses an unknown loss without -Force when the primary is gone, changing nothing' {
            $pair = New-ReplicatedCollection
            Stop-Process -Id $pair.Primary.Process.Id
            $pair.Primary.Process.WaitForExit()
            $output = @(Start-Failover -Collection cache -Confirm:$false -NoBackup -ErrorVariable err -ErrorAction SilentlyContinue -WarningAction SilentlyContinue)
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'FailoverDataLossTooHigh*'
            $output.Status | Should -Be @('Refused')
            Get-Role $pair.Replica.Port | Should -Be 'slave'
        }
    }

    Context 'Start-Failover of a PostgreSQL cluster' {
        BeforeAll {
            $pgBin = if ($env:PSBACKUP_TEST_PG_BIN) { $env:PSBACKUP_TEST_PG_BIN } else { '/usr/lib/postgresql/15/bin' }
            $psql = Join-Path $pgBin 'psql'
            $pgCtl = Join-Path $pgBin 'pg_ctl'
            # A /tmp folder the postgres user may use ($TestDrive may sit below a private home), with its own psbackup-cli for archive_command.
            $work = Join-Path '/tmp' "psbackup-pester-dr-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
            $null = New-Item -ItemType Directory -Path $work
            Copy-Item -LiteralPath (Split-Path -Parent (Get-PsBackupCli)) -Destination (Join-Path $work 'cli') -Recurse
            $cli = Join-Path $work 'cli' 'psbackup-cli.dll'
            & chmod -R a+rX (Join-Path $work 'cli')
            & chown postgres: $work
            $clusters = [System.Collections.Generic.List[string]]::new()
            $ports = [System.Collections.Generic.List[int]]::new()

            function Invoke-Pg([string] $Sql, [int] $Port) {
                $out = & $psql -h 127.0.0.1 -p $Port -U postgres -Atqc $Sql
                if ($LASTEXITCODE -ne 0) { throw "psql on port ${Port} failed: $Sql" }
                $out
            }
            function Start-Cluster([string] $Data, [int] $Port) {
                & runuser -u postgres -- $pgCtl -D $Data -o "-p $Port" -l "$Data.log" -w -t 60 start | Out-Null
                if ($LASTEXITCODE -ne 0) { throw "PostgreSQL in $Data did not start; see $Data.log" }
                $clusters.Add($Data)
            }

            # A primary archiving into collection 'db' of a repository of its own, a streaming standby the
            # target names (-Standby), table t with rows 1..3, a full backup; the standby caught up.
            function New-ReplicatedCluster {
                $name = [guid]::NewGuid().ToString('N').Substring(0, 8)
                $primary = [pscustomobject]@{ Port = Get-FreeTestPort -Exclude $ports; Data = Join-Path $work "primary-$name" }
                $ports.Add($primary.Port)
                $standby = [pscustomobject]@{ Port = Get-FreeTestPort -Exclude $ports; Data = Join-Path $work "standby-$name" }
                $ports.Add($standby.Port)
                & runuser -u postgres -- (Join-Path $pgBin 'initdb') -D $primary.Data --auth=trust -U postgres --no-sync | Out-Null
                Add-Content -LiteralPath (Join-Path $primary.Data 'postgresql.conf') -Value @"
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
wal_level = replica
max_wal_senders = 4
archive_mode = on
fsync = off
"@
                Start-Cluster $primary.Data $primary.Port

                $env:PSBACKUP_REPOSITORY = Join-Path $work "repository-$name"
                $target = New-BackupTarget -PostgreSqlCluster -Server 127.0.0.1 -Port $primary.Port -Name pg -UserName postgres -Standby "127.0.0.1:$($standby.Port)"
                $null = $target | New-BackupCollection -Name db -ErrorAction Stop
                & chown -R postgres: $env:PSBACKUP_REPOSITORY
                $archive = Get-BackupArchiveCommand -Collection db -Archiver dotnet, $cli -ErrorAction Stop
                $null = Invoke-Pg "ALTER SYSTEM SET archive_command = $($archive.ConfigurationLine -replace '^archive_command = ', '')" $primary.Port
                $null = Invoke-Pg 'SELECT pg_reload_conf()' $primary.Port
                # The standby is made after archive_command is set: it inherits it, so once promoted it archives into the collection too.
                & runuser -u postgres -- (Join-Path $pgBin 'pg_basebackup') -h 127.0.0.1 -p $primary.Port -U postgres -D $standby.Data -R -X stream -c fast
                if ($LASTEXITCODE -ne 0) { throw 'pg_basebackup of the standby failed' }
                Start-Cluster $standby.Data $standby.Port
                $null = Invoke-Pg 'CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3)' $primary.Port
                $segment = Invoke-Pg 'SELECT pg_walfile_name(pg_switch_wal())' $primary.Port
                $deadline = (Get-Date).AddSeconds(60)
                while ((Invoke-Pg "SELECT coalesce(last_archived_wal, '') >= '$segment' FROM pg_stat_archiver" $primary.Port) -ne 't') {
                    if ((Get-Date) -gt $deadline) { throw "WAL segment $segment was not archived; see $($primary.Data).log" }
                    Start-Sleep -Milliseconds 100
                }
                $null = Invoke-Backup -Name db -ErrorAction Stop
                $lsn = Invoke-Pg 'SELECT pg_current_wal_lsn()' $primary.Port
                $deadline = (Get-Date).AddSeconds(60)
                while ((Invoke-Pg "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn" $standby.Port) -ne 't') {
                    if ((Get-Date) -gt $deadline) { throw 'the standby did not catch up' }
                    Start-Sleep -Milliseconds 50
                }
                [pscustomobject]@{ Primary = $primary; Standby = $standby; CollectionJson = Join-Path $env:PSBACKUP_REPOSITORY 'collections' 'db' 'collection.json' }
            }
        }

        AfterAll {
            foreach ($data in $clusters) {
                if (Test-Path (Join-Path $data 'postmaster.pid')) { & runuser -u postgres -- $pgCtl -D $data -m immediate -w stop | Out-Null }
            }
            Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
        }

        It '-WhatIf prints the plan for the standby and changes nothing' {
            $pair = New-ReplicatedCluster
            $json = Get-Content -LiteralPath $pair.CollectionJson -Raw
            $result = Invoke-WhatIf { Start-Failover -Collection db -WhatIf }
            $result.Errors | Should -BeNullOrEmpty
            $result.WhatIf | Should -HaveCount 1
            $result.WhatIf[0] | Should -Match "promote 127\.0\.0\.1:$($pair.Standby.Port) of target 'pg' "
            $result.WhatIf[0] | Should -Match "of collection 'db' in place of 127\.0\.0\.1:$($pair.Primary.Port);"
            $result.WhatIf[0] | Should -Match 'estimated data loss 0 bytes'
            Invoke-Pg 'SELECT pg_is_in_recovery()' $pair.Standby.Port | Should -Be 't'
            Invoke-Pg 'SELECT pg_is_in_recovery()' $pair.Primary.Port | Should -Be 'f'
            Get-Content -LiteralPath $pair.CollectionJson -Raw | Should -BeExactly $json
            @(Get-Backup -Collection db).Count | Should -Be 1
        }

        It 'fences the primary, re-assesses, promotes the standby writable, repoints the collection and commits a new full' {
            $pair = New-ReplicatedCluster
            # Fencing the old primary: a clean stop (the standby has received all it wrote).
            $fence = [scriptblock]::Create("& runuser -u postgres -- '$pgCtl' -D '$($pair.Primary.Data)' -m fast -w stop | Out-Null; if (`$LASTEXITCODE -ne 0) { throw 'the primary did not stop' }")
            $output = @(Start-Failover -Collection db -Confirm:$false -BeforePromote $fence -ErrorVariable err)
            $err | Should -BeNullOrEmpty
            $steps = @($output | Where-Object { $_ -is [PsBackup.FailoverStep] })
            $steps.Step | Should -Be @('Assess', 'BeforePromote', 'Reassess', 'Promote', 'Verify', 'Repoint', 'Backup')
            @($steps | Where-Object Status -ne 'Done') | Should -BeNullOrEmpty
            $steps[2].Detail | Should -Match "after -BeforePromote: primary 127\.0\.0\.1:$($pair.Primary.Port) does not answer"
            $summary = $output[-1]
            $summary | Should -BeOfType PsBackup.FailoverSummary
            $summary.OldPrimary | Should -Be "127.0.0.1:$($pair.Primary.Port)"
            $summary.NewPrimary | Should -Be "127.0.0.1:$($pair.Standby.Port)"
            $summary.EstimatedDataLossBytes | Should -Be 0
            # Promoted and writable, the data all there.
            Invoke-Pg 'SELECT pg_is_in_recovery()' $pair.Standby.Port | Should -Be 'f'
            $null = Invoke-Pg 'INSERT INTO t VALUES (10)' $pair.Standby.Port
            Invoke-Pg 'SELECT string_agg(id::text, $$,$$ ORDER BY id) FROM t' $pair.Standby.Port | Should -Be '1,2,3,10'
            # The collection points at it, the old primary recorded; a new full starts a new chain.
            $target = (Get-BackupCollection -Name db).Targets[0]
            $target.Port | Should -Be $pair.Standby.Port
            $target.Standby | Should -BeNullOrEmpty
            (Get-Content -LiteralPath $pair.CollectionJson -Raw | ConvertFrom-Json).failovers[0].from | Should -Be "127.0.0.1:$($pair.Primary.Port)"
            $backups = @(Get-Backup -Collection db)
            $backups.Count | Should -Be 2
            $latest = Get-Backup -Collection db -Latest
            $latest.Id | Should -Be $summary.NewBackupId
            $latest.Type | Should -Be 'Full'
            $latest.Status | Should -Be 'Complete'
            $latest.ParentId | Should -BeNullOrEmpty
        }
    }
}
