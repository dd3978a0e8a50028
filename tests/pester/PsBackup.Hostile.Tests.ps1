#Requires -Version 7.4
# Pester 5: a damaged or hostile repository and hostile input through the cmdlets (issue 20):
# names and ids are refused with a PsBackup ErrorId (non-terminating, no .NET exception type),
# edited documents are detected, damage is listed rather than thrown, and no secret given to any
# cmdlet comes back in any stream, transcript or object. Uses the PostgreSQL primary and the
# first Redis server of tests/peers (PSBACKUP_TEST_* variables, as in tests/peers/env.sh).

Describe 'A hostile repository, hostile names and secrets' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'PsBackup.TestHelpers.ps1')
        Import-Module (Get-PsBackupModuleManifest) -Force -ErrorAction Stop

        $savedPassphrase = $env:PSBACKUP_PASSPHRASE
        $env:PSBACKUP_PASSPHRASE = $null
        $repository = Join-Path $TestDrive 'repository'
        $source = Join-Path $TestDrive 'src'
        New-TestTree -Path $source -File @{ 'a.txt' = 'alpha ' * 2000; 'sub/b.txt' = 'bravo ' * 3000; 'c.txt' = 'charlie' }
        $null = New-BackupTarget -Path $source | New-BackupCollection -Name docs -Repository $repository -ErrorAction Stop
        $backup = Invoke-Backup -Name docs -Repository $repository -ErrorAction Stop

        # Exactly one non-terminating PsBackup error with this ErrorId (a terminating one fails the test), and no output.
        function Assert-RefusedWith {
            param([scriptblock] $Command, [string] $ErrorId)
            $ErrorActionPreference = 'Continue'
            $all = @(& $Command 2>&1)
            $errors = @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
            @($all | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] }).Count | Should -Be 0
            $errors.Count | Should -Be 1
            $errors[0].FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
            $errors[0].Exception.GetType().FullName | Should -BeLike 'PsBackup.Engine.Errors.*'
            $errors[0]
        }
    }

    AfterAll {
        $env:PSBACKUP_PASSPHRASE = $savedPassphrase
    }

    Context 'Names and ids are refused where they enter' {
        It '<Name> is <ErrorId>' -TestCases @(
            @{ Name = "Invoke-Backup -Name '../../x'"; ErrorId = 'InvalidName'; Command = { Invoke-Backup -Name '../../x' -Repository $repository } }
            @{ Name = "Get-Backup -Collection '../collections/h'"; ErrorId = 'InvalidName'; Command = { Get-Backup -Collection '../collections/h' -Repository $repository } }
            @{ Name = "Restore-Backup -Id '../../../config'"; ErrorId = 'InvalidBackupId'; Command = { Restore-Backup -Id '../../../config' -Destination (Join-Path $TestDrive 'r') -Repository $repository -Confirm:$false } }
            @{ Name = "Test-Backup -Id '../backups/<id>'"; ErrorId = 'InvalidBackupId'; Command = { Test-Backup -Id "../backups/$($backup.Id)" -Repository $repository } }
            @{ Name = "Remove-BackupCollection -Name '..'"; ErrorId = 'InvalidName'; Command = { Remove-BackupCollection -Name '..' -Repository $repository -Confirm:$false } }
            @{ Name = "Get-BackupCollection -Name '../*'"; ErrorId = 'InvalidName'; Command = { Get-BackupCollection -Name '../*' -Repository $repository } }
            @{ Name = "Set-Backup -Id '../x'"; ErrorId = 'InvalidBackupId'; Command = { Set-Backup -Id '../x' -Pinned -Repository $repository } }
            @{ Name = "Set-BackupCollection -Name 'a/b'"; ErrorId = 'InvalidName'; Command = { Set-BackupCollection -Name 'a/b' -Compression Gzip -Repository $repository } }
            @{ Name = "Invoke-RetentionPolicy -Collection '../docs'"; ErrorId = 'InvalidName'; Command = { Invoke-RetentionPolicy -Collection '../docs' -KeepLast 1 -Repository $repository -Confirm:$false } }
            @{ Name = "Copy-Backup -Collection '../docs'"; ErrorId = 'InvalidName'; Command = { Copy-Backup -Collection '../docs' -DestinationRepository (Join-Path $TestDrive 'copy') -Repository $repository -Confirm:$false } }
            @{ Name = "Get-BackupTargetStatus -Name '../docs'"; ErrorId = 'InvalidName'; Command = { Get-BackupTargetStatus -Name '../docs' -Repository $repository } }
            @{ Name = "New-BackupCollection -Name 'a/b'"; ErrorId = 'InvalidName'; Command = { New-BackupTarget -Path $source | New-BackupCollection -Name 'a/b' -Repository $repository } }
            @{ Name = "New-BackupTarget -Name '../../../x'"; ErrorId = 'InvalidName'; Command = { New-BackupTarget -Path $source -Name '../../../x' } }
            @{ Name = "Get-Backup -Repository ''"; ErrorId = 'InvalidRepository'; Command = { Get-Backup -Repository '' } }
        ) {
            $null = Assert-RefusedWith -Command $Command -ErrorId $ErrorId
            Test-Path -LiteralPath (Join-Path $TestDrive 'copy') | Should -BeFalse
            @(Get-Backup -Repository $repository -ErrorAction Stop).Count | Should -BeGreaterOrEqual 1
        }

        It 'New-BackupCollection -Repository naming a file says it is a file' {
            $file = Join-Path $TestDrive 'a-file'
            Set-Content -LiteralPath $file -Value 'x'
            $record = Assert-RefusedWith -ErrorId 'RepositoryIsAFile' -Command {
                New-BackupTarget -Path $source | New-BackupCollection -Name other -Repository $file
            }
            $record.Exception.Message | Should -BeLike "*'$file' is a file*"
        }
    }

    Context 'Damage is listed, not thrown' {
        BeforeAll {
            $null = New-BackupTarget -Path $source | New-BackupCollection -Name damaged -Repository $repository -Compression Brotli -ErrorAction Stop
            $good = Invoke-Backup -Name damaged -Repository $repository -ErrorAction Stop
            $bad = Invoke-Backup -Name damaged -Repository $repository -ErrorAction Stop
            $pack = Get-ChildItem -LiteralPath (Join-Path $repository 'collections' 'damaged' 'backups' $bad.Id) -Recurse -Filter 'pack-0*'
            $bytes = [System.IO.File]::ReadAllBytes($pack.FullName)
            for ($i = 5; $i -lt $bytes.Length - 5; $i += 97) { $bytes[$i] = $bytes[$i] -bxor 0x55 }
            [System.IO.File]::WriteAllBytes($pack.FullName, $bytes)
        }

        It 'Get-Backup | Test-Backup | Where-Object Status -ne Ok lists the damaged artifact and goes on' {
            $results = @(Get-Backup -Collection damaged -Repository $repository | Test-Backup -ErrorVariable err)
            @($err).Count | Should -Be 0
            $results.Count | Should -Be 4 # pack and index of each backup
            $damage = @($results | Where-Object Status -ne Ok)
            $damage.Count | Should -Be 1
            $damage[0].BackupId | Should -Be $bad.Id
            $damage[0].Status | Should -Be 'Corrupt'
        }

        It 'Restore-Backup refuses the damaged backup with ArtifactCorrupt' {
            $null = Assert-RefusedWith -ErrorId 'ArtifactCorrupt' -Command {
                Restore-Backup -Id $bad.Id -Repository $repository -Destination (Join-Path $TestDrive 'damaged-restore') -Confirm:$false
            }
        }

        It 'an edited manifest is listed as Corrupt, Test-Backup says why and Restore-Backup refuses it' {
            $manifest = Join-Path $repository 'collections' 'damaged' 'backups' $good.Id 'manifest.json'
            (Get-Content -LiteralPath $manifest -Raw) -replace '"path": "[^"]*pack-0[^"]*"', '"path": "../../../../etc/hostname"' | Set-Content -LiteralPath $manifest -NoNewline
            (Get-Backup -Collection damaged -Repository $repository -ErrorAction Stop | Where-Object Id -eq $good.Id).Status | Should -Be 'Corrupt'
            $finding = @(Test-Backup -Id $good.Id -Repository $repository -ErrorAction Stop)
            $finding.Count | Should -Be 1
            $finding[0].Status | Should -Be 'Corrupt'
            $finding[0].Artifact | Should -Be 'manifest.json'
            $null = Assert-RefusedWith -ErrorId 'DocumentCorrupt' -Command {
                Restore-Backup -Id $good.Id -Repository $repository -Destination (Join-Path $TestDrive 'edited-restore') -Confirm:$false
            }
        }

        It 'a collection.json target named ../../../x is refused with DocumentCorrupt' {
            $null = New-BackupTarget -Path $source | New-BackupCollection -Name hostile -Repository $repository -ErrorAction Stop
            $definition = Join-Path $repository 'collections' 'hostile' 'collection.json'
            (Get-Content -LiteralPath $definition -Raw).Replace('"name": "src"', '"name": "../../../x"') | Set-Content -LiteralPath $definition -NoNewline
            $null = Assert-RefusedWith -ErrorId 'DocumentCorrupt' -Command {
                Invoke-Backup -Name hostile -Repository $repository
            }
            Remove-BackupCollection -Name hostile -Repository $repository -Force -Confirm:$false -WarningVariable warnings -WarningAction SilentlyContinue -ErrorAction Stop
            @($warnings).Count | Should -Be 1
            Test-Path -LiteralPath (Join-Path $repository 'collections' 'hostile') | Should -BeFalse
        }
    }

    Context 'Secrets never echo' {
        BeforeAll {
            $pgHost = $env:PSBACKUP_TEST_PG_HOST ?? '127.0.0.1'
            $pgPort = [int]($env:PSBACKUP_TEST_PG_PORT ?? '54320')
            $pgUser = $env:PSBACKUP_TEST_PG_USER ?? 'postgres'
            $redis = $env:PSBACKUP_TEST_REDIS ?? '127.0.0.1:63790'
            $s3Endpoint = $env:PSBACKUP_TEST_S3_ENDPOINT ?? 'http://127.0.0.1:45690'
            $psql = Join-Path ($env:PSBACKUP_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin') 'psql'
            $database = 'psb_secret_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
            & $psql -X -q -h $pgHost -p $pgPort -U $pgUser -d postgres -c "CREATE DATABASE $database" | Out-Null
            & $psql -X -q -h $pgHost -p $pgPort -U $pgUser -d $database -c 'CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, $$one$$);' | Out-Null

            # Secrets made at run time, so no command line below contains them literally.
            $tag = [guid]::NewGuid().ToString('N').Substring(0, 10)
            $secrets = [ordered]@{
                Passphrase = "Pass-$tag"; PgPassword = "PgPw-$tag"; UriPassword = "UriPw-$tag"; S3Secret = "S3Sk-$tag"; RedisPassword = "RdPw-$tag"
            }
            $passphrase = ConvertTo-SecureString $secrets.Passphrase -AsPlainText -Force
            $pgCredential = [pscredential]::new($pgUser, (ConvertTo-SecureString $secrets.PgPassword -AsPlainText -Force))
            $s3Credential = [pscredential]::new('S3RVER', (ConvertTo-SecureString $secrets.S3Secret -AsPlainText -Force))
            $redisCredential = [pscredential]::new('default', (ConvertTo-SecureString $secrets.RedisPassword -AsPlainText -Force))
            $secretRepository = Join-Path $TestDrive 'secret-repository'
            # -Debug makes a compiled cmdlet's warnings and errors ask for confirmation (PowerShell's rule, Write-Warning
            # does it too); explicit -WarningAction/-ErrorAction Continue keep them flowing without a prompt.
            $common = @{ Verbose = $true; Debug = $true; WarningAction = 'Continue'; ErrorAction = 'Continue' }

            $transcript = Join-Path $TestDrive 'transcript.txt'
            $null = Start-Transcript -LiteralPath $transcript
            $records = & {
                $fileTarget = New-BackupTarget -Path $source @common
                $pgTarget = New-BackupTarget -PostgreSql -ConnectionString "Host=$pgHost;Port=$pgPort;Database=$database;Username=$pgUser;Password=$($secrets.PgPassword)" -Table t -Name pg @common
                $redisTarget = New-BackupTarget -RedisEndpoint $redis -Name cache @common
                $fileTarget
                $pgTarget
                $fileTarget | New-BackupCollection -Name vault -Repository $secretRepository -EncryptionPassphrase $passphrase -S3Credential $s3Credential @common
                $pgTarget | New-BackupCollection -Name pg -Repository $secretRepository @common
                $redisTarget | New-BackupCollection -Name cache -Repository $secretRepository @common
                Get-BackupCollection -Repository $secretRepository @common
                $vault = Invoke-Backup -Name vault -Repository $secretRepository -EncryptionPassphrase $passphrase @common
                $pg = Invoke-Backup -Name pg -Repository $secretRepository -Credential $pgCredential @common
                $cache = Invoke-Backup -Name cache -Repository $secretRepository -TargetCredential @{ cache = $redisCredential } @common # wrong login: fails
                $cache = Invoke-Backup -Name cache -Repository $secretRepository @common
                $vault; $pg; $cache
                Get-Backup -Repository $secretRepository @common
                Test-Backup -Id $vault.Id -Repository $secretRepository -EncryptionPassphrase $passphrase @common
                Set-Backup -Id $vault.Id -Repository $secretRepository -Pinned -PassThru @common
                Set-BackupCollection -Name vault -Repository $secretRepository -Compression Gzip -PassThru @common
                $uri = "postgresql://${pgUser}:$($secrets.UriPassword)@${pgHost}:$pgPort/$database"
                Restore-Backup -Id $pg.Id -Repository $secretRepository -Destination $uri -WhatIf @common
                Restore-Backup -Id $pg.Id -Repository $secretRepository -Destination $uri -TablePrefix r_ -Confirm:$false @common
                Restore-Backup -Id $pg.Id -Repository $secretRepository -Destination "postgresql://bk:$($secrets.UriPassword)@127.0.0.1:1/db" -Confirm:$false @common
                Restore-Backup -Id $pg.Id -Repository $secretRepository -Destination "Host=127.0.0.1;Port=1;Database=db;Username=bk;Password=$($secrets.UriPassword)" -Credential $pgCredential -Confirm:$false @common
                Restore-Backup -Id $cache.Id -Repository $secretRepository -Destination "redis://:$($secrets.UriPassword)@127.0.0.1:1" -Confirm:$false @common
                Restore-Backup -Id $cache.Id -Repository $secretRepository -Destination "redis://127.0.0.1:1" -Credential $redisCredential -Confirm:$false @common
                Restore-Backup -Id $vault.Id -Repository $secretRepository -Destination "mongodb://app:$($secrets.UriPassword)@db1/x" -EncryptionPassphrase $passphrase -WhatIf @common
                Copy-Backup -Collection vault -Repository $secretRepository -DestinationRepository (Join-Path $TestDrive 'secret-copy') -EncryptionPassphrase $passphrase -DestinationS3Credential $s3Credential -Confirm:$false @common
                Copy-Backup -Collection vault -Repository $secretRepository -DestinationRepository 's3://no-such-bucket-psbackup/x' -DestinationS3Endpoint $s3Endpoint -DestinationS3Credential $s3Credential -Confirm:$false @common
                Invoke-RetentionPolicy -Collection vault -Repository $secretRepository -KeepLast 1 -WhatIf @common
                Get-BackupTargetStatus -Name pg -Repository $secretRepository -Credential $pgCredential @common
                Get-BackupRecoveryWindow -Repository $secretRepository -EncryptionPassphrase $passphrase @common
                Get-BackupStorageLifecycle -Repository 's3://no-such-bucket-psbackup/x' -S3Endpoint $s3Endpoint -S3Credential $s3Credential @common
                Set-BackupStorageLifecycle -Repository 's3://no-such-bucket-psbackup/x' -S3Endpoint $s3Endpoint -S3Credential $s3Credential -ExpireAfterDays 30 -WhatIf @common
                Remove-BackupStorageLifecycle -Repository 's3://no-such-bucket-psbackup/x' -S3Endpoint $s3Endpoint -S3Credential $s3Credential -WhatIf @common
                Remove-BackupCollection -Name pg -Repository $secretRepository -Credential $pgCredential -Confirm:$false @common
            } *>&1
            $null = Stop-Transcript

            # Everything a user or a log could see: every record of every stream, every property of every object.
            $captured = ($records | ForEach-Object {
                    if ($_ -is [System.Management.Automation.ErrorRecord]) { "$_"; $_.Exception.ToString(); $_.ErrorDetails; $_.TargetObject; $_.CategoryInfo }
                    elseif ($_ -is [System.Management.Automation.InformationalRecord]) { $_.Message }
                    elseif ($_ -is [System.Management.Automation.InformationRecord]) { "$($_.MessageData)" }
                    else { $_ | Format-List -Property * -Force | Out-String -Width 4096; $_ | ConvertTo-Json -Depth 4 -Compress -WarningAction SilentlyContinue }
                }) -join "`n"
            $logged = Get-Content -LiteralPath $transcript -Raw
        }

        AfterAll {
            & $psql -X -q -h $pgHost -p $pgPort -U $pgUser -d postgres -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" | Out-Null
        }

        It 'the cmdlets ran: objects, errors, warnings, verbose lines and What if lines were written' {
            @($records | Where-Object { $_ -is [PsBackup.BackupInfo] }).Count | Should -BeGreaterOrEqual 3
            @($records | Where-Object { $_ -is [PsBackup.RestoreResult] }).Count | Should -Be 1
            @($records | Where-Object { $_ -is [PsBackup.ArtifactVerification] -and $_.Status -eq 'Ok' }).Count | Should -Be 2
            @($records | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }).Count | Should -BeGreaterOrEqual 5
            @($records | Where-Object { $_ -is [System.Management.Automation.WarningRecord] }).Count | Should -BeGreaterOrEqual 1
            $logged | Should -Match 'What if: .*Restore to'
            @($records | Where-Object { $_ -is [PsBackup.RestoreResult] })[0].Destination | Should -BeLike "*$database*"
            $logged | Should -Match ([regex]::Escape("Restore to postgresql://${pgUser}:***@"))
        }

        It 'no stream, object or transcript holds the <Name>' -TestCases @(
            @{ Name = 'Passphrase' }, @{ Name = 'PgPassword' }, @{ Name = 'UriPassword' }, @{ Name = 'S3Secret' }, @{ Name = 'RedisPassword' }
        ) {
            $secret = $secrets[$Name]
            $captured.Length | Should -BeGreaterThan 1000
            $captured | Should -Not -Match ([regex]::Escape($secret))
            $logged | Should -Not -Match ([regex]::Escape($secret))
            Get-ChildItem -LiteralPath $secretRepository -Recurse -File | Select-String -SimpleMatch $secret | Should -BeNullOrEmpty
        }
    }
}
