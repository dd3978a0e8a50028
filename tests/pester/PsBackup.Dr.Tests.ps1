#Requires -Version 7.4
# Pester 5: Test-DrEnvironment and Start-Failover as an admin types them, against a Redis primary
# and replica started here on free ports (redis-server and redis-cli on PATH). Each test starts a
# pair of its own (failover changes roles) and a repository in $TestDrive; the servers are stopped after.

Describe 'PsBackup disaster recovery' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'PsBackup.TestHelpers.ps1')
        Import-Module (Get-PsBackupModuleManifest) -Force -ErrorAction Stop
        $savedRepository = $env:PSBACKUP_REPOSITORY
        $savedAuth = $env:REDISCLI_AUTH
        $env:REDISCLI_AUTH = $null
        $servers = [System.Collections.Generic.List[object]]::new()

        function Start-TestRedis {
            param([string[]] $Arguments = @())
            $port = Get-FreeTestPort -Exclude $servers.Port
            $dir = Join-Path $TestDrive "redis-$port"
            $null = New-Item -ItemType Directory -Path $dir
            $process = Start-Process -FilePath redis-server -PassThru -ArgumentList (@(
                '--bind', '127.0.0.1', '--port', $port, '--dir', $dir, '--save', '""', '--appendonly', 'no',
                '--repl-diskless-sync-delay', '0', '--logfile', (Join-Path $dir 'redis.log')) + $Arguments)
            $deadline = (Get-Date).AddSeconds(20)
            while (((redis-cli -p $port ping 2>&1) -join '') -notmatch 'PONG') {
                if ((Get-Date) -gt $deadline) { throw "redis-server on port $port did not start" }
                Start-Sleep -Milliseconds 100
            }
            $server = [pscustomobject]@{ Port = $port; Endpoint = "127.0.0.1:$port"; Process = $process }
            $servers.Add($server)
            $server
        }

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
            $steps.Step | Should -Be @('Assess', 'BeforePromote', 'Promote', 'Verify', 'Repoint', 'AfterPromote', 'Backup')
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
}
