#Requires -Version 7.4
# Pester 5: the workflows of PsBackup, typed as a user would type them, against the built module
# (out/PsBackup/<version>/). Every tree and the repository live in $TestDrive;
# $env:PSBACKUP_REPOSITORY points there, so no cmdlet below names -Repository.

Describe 'PsBackup workflows' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'PsBackup.TestHelpers.ps1')
        Import-Module (Get-PsBackupModuleManifest) -Force -ErrorAction Stop

        $savedRepository = $env:PSBACKUP_REPOSITORY
        $savedPassphrase = $env:PSBACKUP_PASSPHRASE
        $repository = Join-Path $TestDrive 'repository'
        $env:PSBACKUP_REPOSITORY = $repository
        $env:PSBACKUP_PASSPHRASE = $null
    }

    AfterAll {
        $env:PSBACKUP_REPOSITORY = $savedRepository
        $env:PSBACKUP_PASSPHRASE = $savedPassphrase
    }

    Context 'Full and incremental backups of a file tree' {
        BeforeAll {
            $source = Join-Path $TestDrive 'docs'
            New-TestTree -Path $source -Directory 'empty' -File @{
                'readme.txt'        = 'hello'
                '.hidden'           = 'a dot file'
                'notes/2024/jan.md' = '# January'
                'notes/2024/feb.md' = '# February'
                'data/big.bin'      = 'x' * 300000
                'scratch.tmp'       = 'excluded from the backup'
            }

            $target = New-BackupTarget -Path $source -Exclude '*.tmp'
            $collection = $target | New-BackupCollection -Name docs -IncrementalBackupEnabled
            $full = Invoke-Backup -Name docs
            $fullSnapshot = Get-TreeSnapshot -Path $source -ExcludeLike '*.tmp'

            # Change the tree: modify, delete, add.
            Set-Content -LiteralPath (Join-Path $source 'readme.txt') -Value 'hello, world (changed)' -NoNewline
            Remove-Item -LiteralPath (Join-Path $source 'notes/2024/feb.md')
            Set-Content -LiteralPath (Join-Path $source 'notes/2024/mar.md') -Value '# March' -NoNewline
            $incremental = Invoke-Backup -Name docs -Incremental

            # One more change, backed up through the pipeline.
            Set-Content -LiteralPath (Join-Path $source 'notes/apr.md') -Value '# April' -NoNewline
            $piped = @(Get-BackupCollection -Name docs | Invoke-Backup -Incremental)
            $latestSnapshot = Get-TreeSnapshot -Path $source -ExcludeLike '*.tmp'
        }

        It 'New-BackupTarget describes the directory' {
            $target.Kind | Should -Be 'FileTree'
            $target.Name | Should -Be 'docs'
            $target.Path | Should -Be (Resolve-Path -LiteralPath $source).ProviderPath
            $target.Exclude | Should -Be '*.tmp'
        }

        It 'New-BackupCollection creates the collection in the default repository' {
            $collection.Name | Should -Be 'docs'
            $collection.TargetCount | Should -Be 1
            $collection.IncrementalBackupEnabled | Should -BeTrue
            $collection.Encrypted | Should -BeFalse
            $collection.Repository | Should -Be $repository
            Test-Path -LiteralPath (Join-Path $repository 'collections' 'docs' 'collection.json') | Should -BeTrue
        }

        It 'Invoke-Backup writes the committed full backup' {
            $full.Collection | Should -Be 'docs'
            $full.Type | Should -Be 'Full'
            $full.Status | Should -Be 'Complete'
            $full.ParentId | Should -BeNullOrEmpty
            $full.TargetCount | Should -Be 1
            $full.FailedTargetCount | Should -Be 0
            $full.SizeBytes | Should -BeGreaterThan 300000
            $full.Id | Should -Match '^\d{8}T\d{6}Z_full_[0-9a-f]{8}$'
            Test-Path -LiteralPath (Join-Path $repository 'collections' 'docs' 'backups' $full.Id 'manifest.json') | Should -BeTrue
        }

        It 'Invoke-Backup -Incremental builds on the latest backup and reads only what changed' {
            $incremental.Type | Should -Be 'Incremental'
            $incremental.Status | Should -Be 'Complete'
            $incremental.ParentId | Should -Be $full.Id
            $incremental.Id | Should -Match '^\d{8}T\d{6}Z_incremental_[0-9a-f]{8}$'
            $incremental.SizeBytes | Should -BeLessThan $full.SizeBytes
        }

        It 'Get-BackupCollection | Invoke-Backup binds the collection by property name' {
            $piped.Count | Should -Be 1
            $piped[0].Collection | Should -Be 'docs'
            $piped[0].Type | Should -Be 'Incremental'
            $piped[0].ParentId | Should -Be $incremental.Id
        }

        It 'Get-Backup lists the backups oldest first' {
            $ids = @(Get-Backup -Collection docs).Id
            ($ids -join ',') | Should -Be (@($full.Id, $incremental.Id, $piped[0].Id) -join ',')
        }

        It 'Get-Backup -Latest writes only the newest backup' {
            $latest = @(Get-Backup -Collection docs -Latest)
            $latest.Count | Should -Be 1
            $latest[0].Id | Should -Be $piped[0].Id
        }

        It 'Get-Backup -Type Full writes only the full backup' {
            (@(Get-Backup -Collection docs -Type Full).Id -join ',') | Should -Be $full.Id
        }

        It 'Get-BackupCollection | Get-Backup binds the collection name' {
            @(Get-BackupCollection -Name 'do*' | Get-Backup).Count | Should -Be 3
        }

        It 'Get-Backup | Test-Backup verifies every artifact of every chain as Ok' {
            $findings = @(Get-Backup -Collection docs | Test-Backup)
            $findings.Count | Should -BeGreaterThan 0
            $findings | Where-Object Status -ne 'Ok' | Should -BeNullOrEmpty
            # One set of findings per backup tested, and the latest one covers its whole chain.
            ((@($findings.BackupId) | Sort-Object -Unique) -join ',') | Should -Be ((@($full.Id, $incremental.Id, $piped[0].Id) | Sort-Object) -join ',')
            $chain = @($findings | Where-Object BackupId -eq $piped[0].Id).ArtifactBackupId | Sort-Object -Unique
            ($chain -join ',') | Should -Be ((@($full.Id, $incremental.Id, $piped[0].Id) | Sort-Object) -join ',')
        }

        It 'Get-Backup -Latest | Restore-Backup -Destination restores the latest tree' {
            $destination = Join-Path $TestDrive 'restore-latest'
            $result = @(Get-Backup -Collection docs -Latest | Restore-Backup -Destination $destination -Confirm:$false -ErrorVariable err)
            $err | Should -BeNullOrEmpty
            $result.Count | Should -Be 1
            $result[0].BackupId | Should -Be $piped[0].Id
            $result[0].Target | Should -Be 'docs'
            $result[0].Destination | Should -Be $destination
            Get-TreeSnapshot -Path $destination | Should -Be $latestSnapshot
            Test-Path -LiteralPath (Join-Path $destination 'scratch.tmp') | Should -BeFalse
            Test-Path -LiteralPath (Join-Path $destination 'notes/2024/feb.md') | Should -BeFalse
        }

        It 'Restore-Backup of the full backup restores the tree as it was then' {
            $destination = Join-Path $TestDrive 'restore-full'
            $null = Restore-Backup -Id $full.Id -Destination $destination -Confirm:$false -ErrorVariable err
            $err | Should -BeNullOrEmpty
            Get-TreeSnapshot -Path $destination | Should -Be $fullSnapshot
        }

        It 'Restore-Backup onto existing files fails with RestoreWouldOverwrite, and -Force overwrites' {
            $destination = Join-Path $TestDrive 'restore-twice'
            $null = Restore-Backup -Id $full.Id -Destination $destination -Confirm:$false
            Set-Content -LiteralPath (Join-Path $destination 'readme.txt') -Value 'edited after the restore' -NoNewline
            $edited = Get-TreeSnapshot -Path $destination

            $out = Get-Backup -Collection docs -Type Full | Restore-Backup -Destination $destination -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $err.Count | Should -BeGreaterThan 0
            $err[0].FullyQualifiedErrorId | Should -BeLike 'RestoreWouldOverwrite*'
            $err[0].CategoryInfo.Category | Should -Be 'ResourceExists'
            Get-TreeSnapshot -Path $destination | Should -Be $edited

            $result = Restore-Backup -Id $full.Id -Destination $destination -Force -Confirm:$false -ErrorVariable forced
            $forced | Should -BeNullOrEmpty
            $result.Target | Should -Be 'docs'
            Get-TreeSnapshot -Path $destination | Should -Be $fullSnapshot
        }

        It 'Restore-Backup -WhatIf says what it would restore, and restores nothing' {
            $destination = Join-Path $TestDrive 'restore-whatif'
            $run = Invoke-WhatIf { Get-Backup -Collection docs -Latest | Restore-Backup -Destination $destination -WhatIf }
            $run.Errors | Should -BeNullOrEmpty
            $run.Output | Should -BeNullOrEmpty
            $run.WhatIf | Should -Be "What if: Performing the operation ""Restore to $destination"" on target ""target 'docs' (fileTree) of backup $($piped[0].Id)""."
            Test-Path -LiteralPath $destination | Should -BeFalse

            # In place (no -Destination) the source tree stays as it is.
            $before = Get-TreeSnapshot -Path $source
            $run = Invoke-WhatIf { Restore-Backup -Id $full.Id -WhatIf }
            $run.Errors | Should -BeNullOrEmpty
            $run.Output | Should -BeNullOrEmpty
            $run.WhatIf | Should -Be "What if: Performing the operation ""Restore to its original location ($((Resolve-Path -LiteralPath $source).ProviderPath))"" on target ""target 'docs' (fileTree) of backup $($full.Id)""."
            Get-TreeSnapshot -Path $source | Should -Be $before
        }

        It 'Get-Backup | Export-Csv round-trips the useful columns' {
            $csv = Join-Path $TestDrive 'backups.csv'
            $backups = @(Get-Backup -Collection docs)
            $backups.Count | Should -Be 3
            $backups | Export-Csv -LiteralPath $csv
            $rows = @(Import-Csv -LiteralPath $csv)

            $rows.Count | Should -Be $backups.Count
            $columns = $rows[0].PSObject.Properties.Name
            foreach ($column in 'Id', 'Collection', 'Repository', 'Type', 'StartTime', 'EndTime', 'Duration', 'Age',
                'ParentId', 'TargetCount', 'FailedTargetCount', 'SizeBytes', 'StoredBytes', 'Status', 'Encrypted', 'Compression') {
                $columns | Should -Contain $column
            }
            for ($i = 0; $i -lt $backups.Count; $i++) {
                $row = $rows[$i]
                $backup = $backups[$i]
                $row.Id | Should -Be $backup.Id
                $row.Collection | Should -Be 'docs'
                $row.Repository | Should -Be $repository
                $row.Type | Should -Be $backup.Type.ToString()
                $row.Status | Should -Be 'Complete'
                [long]$row.SizeBytes | Should -Be $backup.SizeBytes
                [long]$row.StoredBytes | Should -Be $backup.StoredBytes
                if ($backup.ParentId) { $row.ParentId | Should -Be $backup.ParentId } else { $row.ParentId | Should -BeNullOrEmpty }
                # DateTimeOffset is written as text (ToString(): current culture, to the second).
                $startTime = [DateTimeOffset]::MinValue
                if (-not [DateTimeOffset]::TryParse($row.StartTime, [cultureinfo]::CurrentCulture, [System.Globalization.DateTimeStyles]::None, [ref]$startTime)) {
                    $startTime = [DateTimeOffset]::Parse($row.StartTime, [cultureinfo]::InvariantCulture)
                }
                ($startTime - $backup.StartTime).Duration().TotalSeconds | Should -BeLessThan 1
            }
        }

        It 'Remove-BackupCollection -WhatIf says what it would remove, and deletes nothing' {
            $before = Get-TreeSnapshot -Path $repository
            $run = Invoke-WhatIf {
                Remove-BackupCollection -Name docs -WhatIf
                Get-BackupCollection -Name docs | Remove-BackupCollection -WhatIf
            }
            $run.Errors | Should -BeNullOrEmpty
            $run.Output | Should -BeNullOrEmpty
            $run.WhatIf | Should -Be @(
                'What if: Performing the operation "Remove backup collection and all its backups" on target "docs".'
                'What if: Performing the operation "Remove backup collection and all its backups" on target "docs".')
            Get-TreeSnapshot -Path $repository | Should -Be $before
        }

        It 'Remove-BackupCollection -Confirm:$false deletes a collection and its backups' {
            $scratch = New-BackupTarget -Path $source | New-BackupCollection -Name scratch
            $backup = Invoke-Backup -Name scratch
            $scratch.Name | Should -Be 'scratch'
            (@(Get-Backup -Collection scratch).Id -join ',') | Should -Be $backup.Id
            Remove-BackupCollection -Name scratch -Confirm:$false -ErrorVariable removeErrors
            $removeErrors | Should -BeNullOrEmpty

            Get-BackupCollection -Name scratch -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'CollectionNotFound*'
            Test-Path -LiteralPath (Join-Path $repository 'collections' 'scratch') | Should -BeFalse
            @(Get-BackupCollection -Name docs).Count | Should -Be 1
        }
    }

    Context 'An encrypted collection' {
        BeforeAll {
            $secretSource = Join-Path $TestDrive 'secrets'
            $marker = 'PSBACKUP-PLAINTEXT-MARKER-7F3A91'
            New-TestTree -Path $secretSource -File @{
                'keys/api.txt' = "token $marker"
                'config.json'  = "{ `"marker`": `"$marker`" }"
            }
            $passphrase = ConvertTo-SecureString -String 'correct horse battery staple' -AsPlainText -Force
            $wrongPassphrase = ConvertTo-SecureString -String 'not the passphrase' -AsPlainText -Force

            # No compression, so the marker would be visible in the repository if it were not encrypted.
            $collection = New-BackupTarget -Path $secretSource |
                New-BackupCollection -Name secrets -Compression None -EncryptionPassphrase $passphrase
            $backup = Invoke-Backup -Name secrets -EncryptionPassphrase $passphrase
            $expected = Get-TreeSnapshot -Path $secretSource
        }

        AfterEach {
            $env:PSBACKUP_PASSPHRASE = $null
        }

        It 'the collection and its backup are encrypted' {
            $collection.Encrypted | Should -BeTrue
            $backup.Encrypted | Should -BeTrue
            $backup.Status | Should -Be 'Complete'
        }

        It 'no plaintext reaches the repository' {
            $files = @(Get-ChildItem -LiteralPath (Join-Path $repository 'collections' 'secrets') -Recurse -File)
            $files.Count | Should -BeGreaterThan 0
            $files | Where-Object { [System.IO.File]::ReadAllText($_.FullName).Contains($marker) } | Should -BeNullOrEmpty
        }

        It 'Get-Backup needs no passphrase' {
            (@(Get-Backup -Collection secrets -ErrorVariable err).Id -join ',') | Should -Be $backup.Id
            $err | Should -BeNullOrEmpty
        }

        It 'Test-Backup with the passphrase verifies every artifact as Ok' {
            $findings = @($backup | Test-Backup -EncryptionPassphrase $passphrase)
            $findings.Count | Should -BeGreaterThan 0
            $findings | Where-Object Status -ne 'Ok' | Should -BeNullOrEmpty
        }

        It 'Restore-Backup with the passphrase restores the tree' {
            $destination = Join-Path $TestDrive 'secrets-restored'
            $null = $backup | Restore-Backup -Destination $destination -EncryptionPassphrase $passphrase -Confirm:$false -ErrorVariable err
            $err | Should -BeNullOrEmpty
            Get-TreeSnapshot -Path $destination | Should -Be $expected
        }

        It '$env:PSBACKUP_PASSPHRASE stands in for -EncryptionPassphrase' {
            $env:PSBACKUP_PASSPHRASE = 'correct horse battery staple'
            $findings = @($backup | Test-Backup -ErrorVariable err)
            $err | Should -BeNullOrEmpty
            $findings.Count | Should -BeGreaterThan 0
            $findings.Status | Should -Not -Contain 'Corrupt'
            @($findings | Where-Object Status -eq 'Ok').Count | Should -Be $findings.Count
        }

        It 'a wrong passphrase is WrongPassphrase for Test-Backup' {
            $out = $backup | Test-Backup -EncryptionPassphrase $wrongPassphrase -ErrorVariable err -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'WrongPassphrase*'
            $err[0].CategoryInfo.Category | Should -Be 'SecurityError'
        }

        It 'a wrong passphrase is WrongPassphrase for Restore-Backup, and nothing is written' {
            $destination = Join-Path $TestDrive 'secrets-wrong'
            $out = $backup | Restore-Backup -Destination $destination -EncryptionPassphrase $wrongPassphrase -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'WrongPassphrase*'
            Test-Path -LiteralPath $destination | Should -BeFalse
        }

        It 'a wrong passphrase is WrongPassphrase for Invoke-Backup, and nothing is committed' {
            $out = Invoke-Backup -Name secrets -EncryptionPassphrase $wrongPassphrase -ErrorVariable err -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'WrongPassphrase*'
            (@(Get-Backup -Collection secrets).Id -join ',') | Should -Be $backup.Id
        }

        It 'no passphrase at all is PassphraseRequired' {
            $out = Invoke-Backup -Name secrets -ErrorVariable err -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'PassphraseRequired*'
        }
    }

    Context 'Incremental backups need a full backup first' {
        BeforeAll {
            $chainSource = Join-Path $TestDrive 'chain'
            New-TestTree -Path $chainSource -File @{ 'a.txt' = 'a'; 'b/c.txt' = 'c' }
            $null = New-BackupTarget -Path $chainSource | New-BackupCollection -Name chainless -IncrementalBackupEnabled -ErrorAction Stop
            $null = New-BackupTarget -Path $chainSource | New-BackupCollection -Name chained -IncrementalBackupEnabled -ErrorAction Stop
            $null = New-BackupTarget -Path $chainSource | New-BackupCollection -Name fullonly -ErrorAction Stop
        }

        It 'Invoke-Backup -Incremental on a collection without a backup fails with NoFullBackup' {
            $out = Invoke-Backup -Name chainless -Incremental -ErrorVariable err -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'NoFullBackup*'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            @(Get-ChildItem -LiteralPath (Join-Path $repository 'collections' 'chainless') -Recurse -Filter manifest.json).Count | Should -Be 0
        }

        It 'after a full backup the incremental succeeds' {
            $first = Invoke-Backup -Name chained
            $next = Invoke-Backup -Name chained -Incremental
            $first.Type | Should -Be 'Full'
            $next.Type | Should -Be 'Incremental'
            $next.ParentId | Should -Be $first.Id
        }

        It 'Invoke-Backup -Incremental on a collection created without -IncrementalBackupEnabled fails with IncrementalNotEnabled' {
            $out = Invoke-Backup -Name fullonly -Incremental -ErrorVariable err -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'IncrementalNotEnabled*'
        }

        It 'Invoke-Backup of an unknown collection fails with CollectionNotFound' {
            $out = Invoke-Backup -Name no-such-collection -ErrorVariable err -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'CollectionNotFound*'
            $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        }
    }

    Context 'New-BackupCollection -IfNotExists' {
        BeforeAll {
            $twiceSource = Join-Path $TestDrive 'twice'
            New-TestTree -Path $twiceSource -File @{ 'file.txt' = 'content' }
        }

        It 'run twice, returns the existing collection without an error' {
            $first = New-BackupTarget -Path $twiceSource | New-BackupCollection -Name twice -IfNotExists -ErrorVariable firstErrors
            $second = New-BackupTarget -Path $twiceSource | New-BackupCollection -Name twice -IfNotExists -ErrorVariable secondErrors
            $firstErrors | Should -BeNullOrEmpty
            $secondErrors | Should -BeNullOrEmpty
            $second.Name | Should -Be 'twice'
            $second.Created | Should -Be $first.Created
            @(Get-BackupCollection -Name twice).Count | Should -Be 1
        }

        It 'without -IfNotExists, a second New-BackupCollection fails with CollectionExists' {
            $null = New-BackupTarget -Path $twiceSource | New-BackupCollection -Name twice -IfNotExists
            $out = New-BackupTarget -Path $twiceSource | New-BackupCollection -Name twice -ErrorVariable err -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'CollectionExists*'
            $err[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        }

        It '-WhatIf says what it would create, and creates nothing' {
            $target = New-BackupTarget -Path $twiceSource -ErrorVariable targetErrors
            $targetErrors | Should -BeNullOrEmpty
            $target.Path | Should -Be (Resolve-Path -LiteralPath $twiceSource).ProviderPath
            $run = Invoke-WhatIf { $target | New-BackupCollection -Name not-created -WhatIf }
            $run.Errors | Should -BeNullOrEmpty
            $run.Output | Should -BeNullOrEmpty
            $run.WhatIf | Should -Be 'What if: Performing the operation "Create backup collection" on target "not-created".'
            Test-Path -LiteralPath (Join-Path $repository 'collections' 'not-created') | Should -BeFalse
        }
    }

    Context 'Copy-Backup to another repository' {
        BeforeAll {
            $copySource = Join-Path $TestDrive 'copy-source'
            New-TestTree -Path $copySource -File @{
                'a.txt'     = 'alpha'
                'sub/b.txt' = 'bravo'
                'big.bin'   = 'y' * 200000
            }
            $null = New-BackupTarget -Path $copySource | New-BackupCollection -Name copies -IncrementalBackupEnabled
            $copyFull = Invoke-Backup -Name copies
            Set-Content -LiteralPath (Join-Path $copySource 'a.txt') -Value 'alpha, changed' -NoNewline
            $copyIncremental = Invoke-Backup -Name copies -Incremental
            $copySnapshot = Get-TreeSnapshot -Path $copySource
        }

        It 'Copy-Backup -WhatIf says what it would copy, and copies nothing' {
            $drRepository = Join-Path $TestDrive 'dr-whatif'
            $run = Invoke-WhatIf { Copy-Backup -Collection copies -DestinationRepository $drRepository -WhatIf }
            $run.Errors | Should -BeNullOrEmpty
            $run.Output | Should -BeNullOrEmpty
            $run.WhatIf | Should -Be "What if: Performing the operation ""Copy to repository '$drRepository'"" on target ""All backups of collection 'copies'""."
            Test-Path -LiteralPath $drRepository | Should -BeFalse
        }

        It 'Get-Backup -Latest | Copy-Backup copies the backup with its chain, oldest first' {
            $drRepository = Join-Path $TestDrive 'dr-latest'
            $results = @(Get-Backup -Collection copies -Latest | Copy-Backup -DestinationRepository $drRepository -ErrorVariable err)
            $err | Should -BeNullOrEmpty
            ($results.BackupId -join ',') | Should -Be (@($copyFull.Id, $copyIncremental.Id) -join ',')
            ($results.Status -join ',') | Should -Be 'Copied,Copied'
            $results[0].Type | Should -Be 'Full'
            $results[1].Type | Should -Be 'Incremental'
            $results[0].ArtifactsCopied | Should -BeGreaterThan 0
            $results[0].BytesCopied | Should -Be $copyFull.StoredBytes
            $results[0].SourceRepository | Should -Be $repository
            $results[0].DestinationRepository | Should -Be $drRepository
            (@(Get-Backup -Collection copies -Repository $drRepository).Id -join ',') | Should -Be (@($copyFull.Id, $copyIncremental.Id) -join ',')
        }

        It 'a second run copies nothing' {
            $drRepository = Join-Path $TestDrive 'dr-twice'
            $first = @(Copy-Backup -Collection copies -DestinationRepository $drRepository -ErrorVariable err1)
            ($first.Status -join ',') | Should -Be 'Copied,Copied'
            $results = @(Copy-Backup -Collection copies -DestinationRepository $drRepository -ErrorVariable err2)
            @($err1) + @($err2) | Should -BeNullOrEmpty
            $results.Count | Should -Be 2
            ($results.Status -join ',') | Should -Be 'AlreadyPresent,AlreadyPresent'
            ($results | Measure-Object -Property ArtifactsCopied -Sum).Sum | Should -Be 0
        }

        It 'the copy verifies and restores exactly' {
            $drRepository = Join-Path $TestDrive 'dr-verified'
            $copied = @(Copy-Backup -Collection copies -Id $copyIncremental.Id -DestinationRepository $drRepository -ErrorVariable copyErrors)
            $copyErrors | Should -BeNullOrEmpty
            $copied.Count | Should -Be 2
            $findings = @(Get-Backup -Collection copies -Latest -Repository $drRepository | Test-Backup)
            $findings.Count | Should -BeGreaterThan 0
            $findings | Where-Object Status -ne 'Ok' | Should -BeNullOrEmpty

            $destination = Join-Path $TestDrive 'copy-restored'
            $null = Restore-Backup -Id $copyIncremental.Id -Repository $drRepository -Destination $destination -Confirm:$false -ErrorVariable err
            $err | Should -BeNullOrEmpty
            Get-TreeSnapshot -Path $destination | Should -Be $copySnapshot
        }

        It 'a different collection of the same name at the destination is CollectionMismatch' {
            $otherRepository = Join-Path $TestDrive 'other-repository'
            $null = New-BackupTarget -Path (Join-Path $copySource 'sub') | New-BackupCollection -Name copies -Repository $otherRepository
            $out = Copy-Backup -Collection copies -DestinationRepository $otherRepository -ErrorVariable err -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'CollectionMismatch*'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
            @(Get-ChildItem -LiteralPath $otherRepository -Recurse -Filter manifest.json).Count | Should -Be 0
        }
    }

    Context 'Retention: plan, pin, delete' {
        BeforeAll {
            $retentionSource = Join-Path $TestDrive 'retention-source'
            New-TestTree -Path $retentionSource -File @{ 'a.txt' = 'alpha'; 'big.bin' = 'z' * 100000 }
            $policy = [PsBackup.RetentionPolicy]@{ KeepLast = 1; TimeZone = 'UTC' }
        }

        BeforeEach {
            # Each test gets a collection of its own: an old full, an incremental on it, a new full.
            $kept = 'kept-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
            $retentionCollection = New-BackupTarget -Path $retentionSource |
                New-BackupCollection -Name $kept -IncrementalBackupEnabled -RetentionPolicy $policy -ErrorAction Stop
            $oldFull = Invoke-Backup -Name $kept -ErrorAction Stop
            $oldIncremental = Invoke-Backup -Name $kept -Incremental -ErrorAction Stop
            $newFull = Invoke-Backup -Name $kept -ErrorAction Stop
            $backupsFolder = Join-Path $repository 'collections' $kept 'backups'
        }

        It 'the policy built from a hashtable is stored with the collection' {
            $retentionCollection.RetentionPolicy.KeepLast | Should -Be 1
            $stored = Get-BackupCollection -Name $kept -ErrorVariable err
            $err | Should -BeNullOrEmpty
            $stored.Name | Should -Be $kept
            $stored.RetentionPolicy.ToString() | Should -Be 'KeepLast=1; TimeZone=UTC'
        }

        It 'Invoke-RetentionPolicy -WhatIf writes the plan, says what it would delete, and deletes nothing' {
            $before = Get-TreeSnapshot -Path $backupsFolder
            $run = Invoke-WhatIf { Invoke-RetentionPolicy -Collection $kept -WhatIf }
            $run.Errors | Should -BeNullOrEmpty
            $plan = $run.Output
            ($plan.BackupId -join ',') | Should -Be (@($oldFull.Id, $oldIncremental.Id, $newFull.Id) -join ',')
            ($plan.Action -join ',') | Should -Be 'Delete,Delete,Keep'
            $plan[2].Reasons | Should -Be 'last 1; newest full'
            $plan | Where-Object Deleted | Should -BeNullOrEmpty
            $run.WhatIf | Should -Be @(
                "What if: Performing the operation ""Delete backup"" on target ""$kept/$($oldFull.Id) (no rule keeps it)"".",
                "What if: Performing the operation ""Delete backup"" on target ""$kept/$($oldIncremental.Id) (no rule keeps it)"".")
            Get-TreeSnapshot -Path $backupsFolder | Should -Be $before
        }

        It 'Set-Backup -Pinned keeps a backup, and Get-Backup shows it' {
            $pinned = Get-Backup -Collection $kept -Id $oldFull.Id | Set-Backup -Pinned -Tag keep-me -PassThru
            $pinned.Pinned | Should -BeTrue
            $pinned.Tags | Should -Be 'keep-me'
            (Get-Backup -Collection $kept -Id $oldFull.Id).Pinned | Should -BeTrue
            $plan = @(Invoke-RetentionPolicy -Collection $kept -WhatIf)
            $plan.Count | Should -Be 3
            ($plan | Where-Object BackupId -eq $oldFull.Id).Reasons | Should -Be 'pinned'
            ($plan | Where-Object BackupId -eq $oldIncremental.Id).Action | Should -Be 'Delete'
        }

        It 'Invoke-RetentionPolicy deletes the plan''s deletions, and the decisions export to CSV' {
            $null = Set-Backup -Id $oldFull.Id -Collection $kept -Pinned -ErrorAction Stop
            $csv = Join-Path $TestDrive "$kept.csv"
            Invoke-RetentionPolicy -Collection $kept -ErrorVariable err | Export-Csv -LiteralPath $csv
            $err | Should -BeNullOrEmpty
            $rows = @(Import-Csv -LiteralPath $csv)
            $rows.Count | Should -Be 3
            ($rows | Where-Object BackupId -eq $oldIncremental.Id).Deleted | Should -Be 'True'
            ($rows | Where-Object BackupId -eq $newFull.Id).Reasons | Should -Be 'last 1; newest full'
            (@(Get-Backup -Collection $kept).Id -join ',') | Should -Be (@($oldFull.Id, $newFull.Id) -join ',')
            Test-Path -LiteralPath (Join-Path $backupsFolder $oldIncremental.Id) | Should -BeFalse
        }

        It 'a second run deletes nothing' {
            $first = @(Invoke-RetentionPolicy -Collection $kept -ErrorVariable err1)
            ($first.Deleted -join ',') | Should -Be 'True,True,False'
            $again = @(Invoke-RetentionPolicy -Collection $kept -ErrorVariable err2)
            @($err1) + @($err2) | Should -BeNullOrEmpty
            $again.Count | Should -Be 1
            $again[0].BackupId | Should -Be $newFull.Id
            $again[0].Action | Should -Be 'Keep'
            $again[0].Deleted | Should -BeFalse
            (@(Get-Backup -Collection $kept).Id -join ',') | Should -Be $newFull.Id
        }

        It 'Get-BackupCollection | Invoke-RetentionPolicy -KeepLast overrides the stored policy' {
            $result = @(Get-BackupCollection -Name $kept | Invoke-RetentionPolicy -KeepLast 2 -WhatIf -ErrorVariable err)
            $err | Should -BeNullOrEmpty
            $result.Count | Should -Be 3
            ($result.Action -join ',') | Should -Be 'Keep,Keep,Keep'
            ($result | Where-Object BackupId -eq $oldIncremental.Id).Reasons | Should -Be 'last 2'
            ($result | Where-Object BackupId -eq $oldFull.Id).Reasons | Should -Be "parent of $($oldIncremental.Id)"
        }

        It 'without a stored policy it fails with NoRetentionPolicy' {
            Set-BackupCollection -Name $kept -RetentionPolicy $null -ErrorVariable setErrors
            $setErrors | Should -BeNullOrEmpty
            $collection = Get-BackupCollection -Name $kept
            $collection.Name | Should -Be $kept
            $collection.RetentionPolicy | Should -BeNullOrEmpty
            $out = Invoke-RetentionPolicy -Collection $kept -ErrorVariable err -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'NoRetentionPolicy*'
            @(Get-Backup -Collection $kept).Count | Should -Be 3
        }
    }
}
