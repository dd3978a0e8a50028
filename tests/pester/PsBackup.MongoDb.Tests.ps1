#Requires -Version 7.4
# Pester 5: MongoDB targets through the cmdlets, against the MongoDB-wire test server (congodb)
# started by tests/peers/start.sh (PSBACKUP_TEST_MONGO, as in tests/peers/env.sh). The data is made
# and compared with the built psbackup-cli (tools/PsBackup.Cli, Release): `mongo-data generate`
# inserts documents through the official driver, `mongo-data digest` prints each collection's
# document count and a digest of every document's bytes. Every test works in a database of its own.

Describe 'MongoDB collections' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'PsBackup.TestHelpers.ps1')
        Import-Module (Get-PsBackupModuleManifest) -Force -ErrorAction Stop

        $cli = Get-ChildItem -Path (Join-Path (Get-PsBackupRepoRoot) 'tools/PsBackup.Cli/bin/Release') -Filter psbackup-cli.dll -Recurse |
            Select-Object -First 1 -ExpandProperty FullName
        if (-not $cli) { throw 'psbackup-cli is not built: dotnet build tools/PsBackup.Cli -c Release' }
        function Invoke-MongoData {
            $output = & dotnet $cli mongo-data @args
            if ($LASTEXITCODE -ne 0) { throw "psbackup-cli mongo-data $args failed" }
            $output
        }
        function Get-Digest([string] $Database) {
            Invoke-MongoData digest "$server/$Database" | ConvertFrom-Json
        }

        $server = ($env:PSBACKUP_TEST_MONGO ?? 'mongodb://127.0.0.1:27027').TrimEnd('/')
        $database = 'psb_pester_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        Invoke-MongoData generate "$server/$database" --collection orders --documents 3000 --size 700
        Invoke-MongoData generate "$server/$database" --collection users --documents 200 --size 300
        $repository = Join-Path $TestDrive 'repository'
    }

    AfterAll {
        Invoke-MongoData drop "$server/$database"
        Invoke-MongoData drop "$server/${database}_copy"
    }

    It 'New-BackupTarget -MongoDb describes collections of a database and never keeps the password' {
        $target = New-BackupTarget -MongoDb -ConnectionString ($server -replace '^mongodb://', 'mongodb://backup:s3cret@') -Database $database `
            -Collection 'orders', 'user*' -Name shop -WarningVariable warnings -WarningAction SilentlyContinue -ErrorVariable failures
        $failures | Should -BeNullOrEmpty
        $target | Should -BeOfType PsBackup.MongoDbTarget
        $target.Kind | Should -Be 'MongoDb'
        $target.Name | Should -Be 'shop'
        $target.Collections | Should -Be @('orders', 'user*')
        $target.ConnectionString | Should -BeLike 'mongodb://backup@*'
        $warnings | Should -Match 'password'
        ($target | ConvertTo-Json) | Should -Not -Match 's3cret'
    }

    It 'refuses a connection string that is not MongoDB, and one without a database' {
        $null = New-BackupTarget -MongoDb -ConnectionString 'postgresql://db1/shop' -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidMongoConnectionString,*'
        $null = New-BackupTarget -MongoDb -ConnectionString $server -ErrorVariable err2 -ErrorAction SilentlyContinue
        $err2[0].FullyQualifiedErrorId | Should -BeLike 'MongoDatabaseRequired,*'
    }

    Context 'Backed up, then restored beside the originals with -CollectionPrefix' {
        BeforeAll {
            $collection = New-BackupTarget -MongoDb -ConnectionString "$server/$database" -Name shop |
                New-BackupCollection -Name mongo -Repository $repository -ErrorVariable createFailures
            $backup = Invoke-Backup -Name mongo -Repository $repository -ThrottleLimit 2 -WarningVariable backupWarnings -WarningAction SilentlyContinue -ErrorVariable backupFailures
            $restored = Get-Backup -Collection mongo -Repository $repository -Latest |
                Restore-Backup -Repository $repository -CollectionPrefix drill_ -Confirm:$false -ErrorVariable restoreFailures
        }

        It 'backs up every collection' {
            $createFailures | Should -BeNullOrEmpty
            $collection.Name | Should -Be 'mongo'
            $backupFailures | Should -BeNullOrEmpty
            $backup.Status | Should -Be 'Complete'
            $backup.SizeBytes | Should -BeGreaterThan 2000000
            # congodb is a standalone server: the backup says it is not one point in time.
            $backupWarnings | Should -Match 'standalone'
        }

        It 'restores every document byte for byte next to the originals' {
            $restoreFailures | Should -BeNullOrEmpty
            $restored | Should -HaveCount 1
            $restored.ItemCount | Should -Be 3200
            $restored.Destination | Should -Match "drill_"
            $digest = Get-Digest $database
            foreach ($name in 'orders', 'users') {
                $original = $digest | Where-Object Collection -EQ $name
                $copy = $digest | Where-Object Collection -EQ "drill_$name"
                $copy.Documents | Should -Be $original.Documents
                $copy.Digest | Should -Be $original.Digest
            }
        }

        It 'refuses to restore over collections with documents without -Force, and replaces them with it' {
            Get-Backup -Collection mongo -Repository $repository -Latest |
                Restore-Backup -Repository $repository -CollectionPrefix drill_ -Confirm:$false -ErrorVariable refused -ErrorAction SilentlyContinue
            $refused | Should -HaveCount 1
            $refused[0].FullyQualifiedErrorId | Should -BeLike 'RestoreWouldOverwrite,*'

            $forced = Get-Backup -Collection mongo -Repository $repository -Latest |
                Restore-Backup -Repository $repository -CollectionPrefix drill_ -Force -Confirm:$false -ErrorVariable forceFailures
            $forceFailures | Should -BeNullOrEmpty
            $forced.ItemCount | Should -Be 3200
        }

        It 'restores into another database with -Destination' {
            $copy = Get-Backup -Collection mongo -Repository $repository -Latest |
                Restore-Backup -Repository $repository -Destination "${database}_copy" -Confirm:$false -ErrorVariable copyFailures
            $copyFailures | Should -BeNullOrEmpty
            $copy.Destination | Should -Match "${database}_copy"
            (Get-Digest "${database}_copy" | ConvertTo-Json) | Should -Be ((Get-Digest $database | Where-Object Collection -NotLike 'drill_*') | ConvertTo-Json)
        }

        It 'Get-BackupTargetStatus shows the server reachable and standalone' {
            $status = Get-BackupTargetStatus -Name mongo -Repository $repository -ErrorVariable statusFailures
            $statusFailures | Should -BeNullOrEmpty
            $status | Should -HaveCount 1
            $status.Reachable | Should -BeTrue
            $status.Role | Should -Be 'standalone'
            $status.Kind | Should -Be 'MongoDb'
            $lines = @($status | Get-ViewLine)
            $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 80 }
            $lines[0] -split '\s+' | Should -Be @('Collection', 'Target', 'Reachable', 'Lag', 'Details')
            $lines[2] | Should -Match '^mongo\s+shop\s+True\s+standalone'
        }
    }

    It 'New-BackupTarget -MongoDb: the default view fits 80 columns' {
        $target = New-BackupTarget -MongoDb -ConnectionString "$server/$database" -Collection 'orders', 'user*' -Name shop-orders -ErrorAction Stop
        $lines = @($target | Get-ViewLine)
        $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 80 }
        $lines[0] -split '\s+' | Should -Be @('Name', 'Kind', 'Location', 'Collections')
        $lines[2] | Should -Match '^shop-orders\s+MongoDb\s'
        ($lines -join '') -replace '\s+', '' | Should -BeLike '*orders,user`**'
    }

    It 'an unreachable server: Get-BackupTargetStatus reports it, Invoke-Backup fails with TargetUnavailable, the password shows nowhere' {
        $secret = 'Pester-s3cret-' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        $login = [pscredential]::new('backup', (ConvertTo-SecureString $secret -AsPlainText -Force))
        $down = Join-Path $TestDrive 'down'
        $null = New-BackupTarget -MongoDb -ConnectionString 'mongodb://127.0.0.1:1/shop?serverSelectionTimeoutMS=1500&connectTimeoutMS=1500' -Name gone |
            New-BackupCollection -Name gone -Repository $down -ErrorAction Stop

        $status = @(Get-BackupTargetStatus -Name gone -Repository $down -Credential $login -ErrorVariable statusFailures)
        $statusFailures | Should -BeNullOrEmpty
        $status | Should -HaveCount 1
        $status[0].Reachable | Should -BeFalse
        $status[0].ErrorId | Should -Be 'TargetUnavailable'
        $status[0].Message | Should -Match '127\.0\.0\.1:1'

        $backup = Invoke-Backup -Name gone -Repository $down -Credential $login -ErrorVariable backupFailures -ErrorAction SilentlyContinue -WarningVariable backupWarnings -WarningAction SilentlyContinue
        $backupFailures | Should -Not -BeNullOrEmpty
        $backupFailures.FullyQualifiedErrorId | Should -Contain 'TargetUnavailable,PsBackup.Commands.InvokeBackupCommand'
        $everything = @($status | ConvertTo-Json -Depth 4) + @($backup | ConvertTo-Json -Depth 4) + @($backupFailures | Out-String) + @($backupWarnings | Out-String) +
            @(Get-ChildItem -LiteralPath $down -Recurse -File | Get-Content -Raw)
        ($everything -join "`n") | Should -Not -Match $secret
    }
}
