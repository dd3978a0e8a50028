#Requires -Version 7.4
# Pester 5: Redis targets as a user types them: the Redis parameter set of New-BackupTarget, and
# a backup/restore workflow against redis-servers started here on free ports (redis-server and
# redis-cli must be on PATH: tests/peers/install.sh installs them). The repository lives in $TestDrive.

Describe 'PsBackup with Redis' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'PsBackup.TestHelpers.ps1')
        Import-Module (Get-PsBackupModuleManifest) -Force -ErrorAction Stop

        $savedRepository = $env:PSBACKUP_REPOSITORY
        $savedAuth = $env:REDISCLI_AUTH
        $env:PSBACKUP_REPOSITORY = Join-Path $TestDrive 'repository'
        $env:REDISCLI_AUTH = $null

        $servers = [System.Collections.Generic.List[object]]::new()
    }

    AfterAll {
        foreach ($server in $servers) { Stop-Process -Id $server.Process.Id -ErrorAction SilentlyContinue }
        $env:PSBACKUP_REPOSITORY = $savedRepository
        $env:REDISCLI_AUTH = $savedAuth
    }

    Context 'New-BackupTarget -RedisEndpoint' {
        It 'describes a whole-server snapshot by default' {
            $target = New-BackupTarget -RedisEndpoint cache-replica:6379, cache:6379 -Name cache
            $target | Should -BeOfType PsBackup.RedisTarget
            $target.Kind | Should -Be 'Redis'
            $target.Mode | Should -Be 'Snapshot'
            $target.Endpoints | Should -Be @('cache-replica:6379', 'cache:6379')
            $target.Location | Should -Be 'cache-replica:6379,cache:6379'
        }

        It 'switches to a logical backup with databases or key patterns, and names itself after the server' {
            $target = New-BackupTarget -RedisEndpoint rediss://sessions:6380 -RedisUser backup -RedisDatabase 2, 0 -KeyPattern 'user:*'
            $target.Name | Should -Be 'redis-sessions-6380'
            $target.Mode | Should -Be 'Logical'
            $target.UseTls | Should -BeTrue
            $target.UserName | Should -Be 'backup'
            $target.Databases | Should -Be @(0, 2)
        }

        It 'refuses a snapshot of some keys, and a login inside the address' {
            $null = New-BackupTarget -RedisEndpoint cache:6379 -RedisMode Snapshot -KeyPattern 'a*' -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'RedisSnapshotIsWholeServer*'
            $null = New-BackupTarget -RedisEndpoint redis://u:secret@cache:6379 -ErrorVariable err2 -ErrorAction SilentlyContinue
            $err2[0].FullyQualifiedErrorId | Should -BeLike 'PasswordInAddress*'
            $err2[0].Exception.Message | Should -Not -Match 'secret'
        }
    }

    Context 'Back up and restore a live server' {
        BeforeAll {
            $source = Start-TestRedisServer -Servers $servers -Folder $TestDrive -Arguments '--requirepass', 'pw'
            $other = Start-TestRedisServer -Servers $servers -Folder $TestDrive
            $env:REDISCLI_AUTH = 'pw'
            $null = redis-cli -p $source.Port set 'user:1' 'alice'
            $null = redis-cli -p $source.Port set 'user:2' 'bob' EX 3600
            $null = redis-cli -p $source.Port -n 3 hset 'cart:9' item book
            $env:REDISCLI_AUTH = $null
            $password = ConvertTo-SecureString 'pw' -AsPlainText -Force
            $credential = [pscredential]::new('default', $password)

            New-BackupTarget -RedisEndpoint $source.Endpoint -Name cache | New-BackupCollection -Name cache | Out-Null
            $backup = Invoke-Backup -Name cache -Credential $credential
        }

        It 'needs the password: a wrong one is TargetAuthenticationFailed' {
            $wrong = [pscredential]::new('default', (ConvertTo-SecureString 'nope' -AsPlainText -Force))
            $out = Invoke-Backup -Name cache -Credential $wrong -ErrorVariable err -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'TargetAuthenticationFailed*'
        }

        It 'takes a snapshot that Test-Backup verifies' {
            $backup.Status | Should -Be 'Complete'
            $findings = @(Get-Backup -Collection cache -Latest | Test-Backup -ErrorVariable err)
            $err | Should -BeNullOrEmpty
            $findings.Count | Should -Be 2 # the RDB and the drill census beside it
            @($findings | Where-Object Artifact -Like 'cache/dump.rdb*') | Should -HaveCount 1
            @($findings | Where-Object Artifact -Like 'cache/drill-census.json*') | Should -HaveCount 1
            $findings.Status | Sort-Object -Unique | Should -Be 'Ok'
        }

        It 'restores into another server with a key prefix and a database map, keeping TTLs' {
            $result = $backup | Restore-Backup -Destination $other.Endpoint -KeyPrefix 'r:' -DatabaseMap @{ 3 = 4 } -Confirm:$false
            $result.ItemCount | Should -Be 3
            $result.Destination | Should -Be "redis://$($other.Endpoint)"
            redis-cli -p $other.Port get 'r:user:1' | Should -Be 'alice'
            [int](redis-cli -p $other.Port ttl 'r:user:2') | Should -BeGreaterThan 3500
            redis-cli -p $other.Port -n 4 hget 'r:cart:9' item | Should -Be 'book'
        }

        It 'will not overwrite existing keys without -Force, and writes nothing then' {
            $null = redis-cli -p $other.Port set 'user:1' 'changed'
            $out = $backup | Restore-Backup -Destination $other.Endpoint -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'RestoreWouldOverwrite*'
            redis-cli -p $other.Port get 'user:1' | Should -Be 'changed'
            redis-cli -p $other.Port exists 'user:2' | Should -Be '0'

            $null = $backup | Restore-Backup -Destination $other.Endpoint -Force -Confirm:$false
            redis-cli -p $other.Port get 'user:1' | Should -Be 'alice'
        }

        It 'writes dump.rdb into a data directory that redis-check-rdb accepts' {
            $dataDir = Join-Path $TestDrive 'data'
            $result = $backup | Restore-Backup -Destination $dataDir -Confirm:$false
            $result.Destination | Should -Be (Join-Path $dataDir 'dump.rdb')
            (redis-check-rdb $result.Destination) -join "`n" | Should -Match 'RDB looks OK'
        }

        It '-WhatIf says what it would restore, and restores nothing' {
            $keysBefore = @(redis-cli -p $other.Port --scan | Sort-Object)
            $run = Invoke-WhatIf { $backup | Restore-Backup -Destination $other.Endpoint -KeyPrefix 'whatif:' -WhatIf }
            $run.Errors | Should -BeNullOrEmpty
            $run.Output | Should -BeNullOrEmpty
            @($run.WhatIf).Count | Should -Be 1
            $run.WhatIf | Should -BeLike "What if: Performing the operation ""Restore to *$($other.Endpoint)*"" on target ""target 'cache' (*) of backup $($backup.Id)""."
            redis-cli -p $other.Port exists 'whatif:user:1' | Should -Be '0'
            (@(redis-cli -p $other.Port --scan | Sort-Object) -join ',') | Should -Be ($keysBefore -join ',')
        }
    }
}
