#Requires -Version 7.4
# Pester 5: the default console views (module/PsBackup.Format.ps1xml) at 80 columns, as a
# terminal of that width shows them (Out-String -Width 80): no line longer than 80, the key
# values whole (ids, names), and what must not be cut (why an artifact is corrupt, why a backup
# is kept) complete even when wrapped. Views of S3 and PostgreSQL objects are checked in their
# own files (StorageLifecycle, PostgreSql, PostgreSqlCluster).

Describe 'Default views at 80 columns' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'PsBackup.TestHelpers.ps1')
        Import-Module (Get-PsBackupModuleManifest) -Force -ErrorAction Stop

        $repository = Join-Path $TestDrive 'repository'
        $source = Join-Path $TestDrive 'source'
        New-TestTree -Path $source -File @{ 'a.txt' = 'alpha'; 'sub/b.bin' = 'b' * 100000 }
        $policy = [PsBackup.RetentionPolicy]@{ KeepLast = 1; KeepDaily = 7; TimeZone = 'UTC' }
        $null = New-BackupTarget -Path $source -Name files -Exclude '*.tmp', 'cache' |
            New-BackupCollection -Name a-collection-with-a-long-name -Repository $repository -IncrementalBackupEnabled -RetentionPolicy $policy -ErrorAction Stop

        function Assert-FitsIn80 ([string[]] $Lines) {
            $Lines.Count | Should -BeGreaterThan 1
            foreach ($line in $Lines) { $line.Length | Should -BeLessOrEqual 80 -Because "'$line' is wider than 80 columns" }
        }
        # Text as it reads across wrapped lines: all whitespace removed.
        function Get-Squeezed([string[]] $Text) { ($Text -join '') -replace '\s+', '' }
    }

    It 'Get-Backup: the whole id, start, status, size, pin and tags' {
        $full = Invoke-Backup -Name a-collection-with-a-long-name -Repository $repository -ErrorAction Stop
        $incremental = Invoke-Backup -Name a-collection-with-a-long-name -Repository $repository -Incremental -ErrorAction Stop
        $null = $incremental | Set-Backup -Pinned -Tag before-migration -ErrorAction Stop
        $backups = @(Get-Backup -Collection a-collection-with-a-long-name -Repository $repository -ErrorVariable err)
        $err | Should -BeNullOrEmpty
        $backups.Count | Should -Be 2
        $lines = @($backups | Get-ViewLine)
        Assert-FitsIn80 $lines
        ($lines | Where-Object { $_ -like 'Id *' }) -split '\s+' | Should -Be @('Id', 'StartTime', 'Status', 'Size', 'Labels')
        @($lines | Where-Object { $_ -like "$($full.Id) *" }).Count | Should -Be 1
        $row = @($lines | Where-Object { $_ -like "$($incremental.Id) *" })
        $row.Count | Should -Be 1
        $row[0] | Should -Match 'Complete\s+[\d.]+ (B|KB|MB)'
        Get-Squeezed $lines | Should -BeLike '*pinned,before-migration*'
    }

    It 'Test-Backup: a corrupt artifact''s reason is shown whole, under the header Backup' {
        $backup = Invoke-Backup -Name a-collection-with-a-long-name -Repository $repository -ErrorAction Stop
        $pack = Get-ChildItem -LiteralPath (Join-Path $repository 'collections' 'a-collection-with-a-long-name' 'backups' $backup.Id) -Recurse -Filter 'pack-*' |
            Select-Object -First 1
        [System.IO.File]::AppendAllText($pack.FullName, 'tampered')

        $findings = @($backup | Test-Backup -ErrorVariable err)
        $err | Should -BeNullOrEmpty
        $corrupt = @($findings | Where-Object Status -eq 'Corrupt')
        $corrupt.Count | Should -Be 1
        $corrupt[0].Message.Length | Should -BeGreaterThan 30
        $lines = @($findings | Get-ViewLine)
        Assert-FitsIn80 $lines
        $lines[0] -split '\s+' | Should -Be @('Status', 'Backup', 'Artifact')
        Get-Squeezed $lines | Should -BeLike ('*' + (Get-Squeezed $corrupt[0].Message) + '*')
        Get-Squeezed $lines | Should -BeLike "*Corrupt$($backup.Id)*"
    }

    It 'Get-BackupCollection: name, targets, settings and the retention policy, grouped by repository' {
        $collections = @(Get-BackupCollection -Repository $repository -ErrorVariable err)
        $err | Should -BeNullOrEmpty
        $collections.Count | Should -Be 1
        $lines = @($collections | Get-ViewLine)
        Assert-FitsIn80 $lines
        $lines[0] | Should -Be "   Repository: $repository"
        $lines[1] -split '\s+' | Should -Be @('Name', 'Targets', 'Incremental', 'Encrypted', 'Retention')
        $lines | Where-Object { $_ -like 'a-collection-with-a-long-name *' } | Should -Match '\s1 True\s+False\s+KeepLast=1;'
        Get-Squeezed $lines | Should -BeLike '*KeepLast=1;KeepDaily=7;TimeZone=UTC*'
    }

    It 'New-BackupTarget: file tree, PostgreSQL, PostgreSQL cluster and Redis targets' {
        $targets = @(
            New-BackupTarget -Path $source -Name files -Exclude '*.tmp' -ErrorAction Stop
            New-BackupTarget -PostgreSql -Server db1.example.org -Database shop -Table 'public.*' -UserName backup -ErrorAction Stop
            New-BackupTarget -PostgreSqlCluster -Server db1.example.org -Name orders-db -UserName backup -ErrorAction Stop
            New-BackupTarget -RedisEndpoint cache-replica.example.org:6379, cache.example.org:6379 -Name cache -ErrorAction Stop
        )
        $targets.Count | Should -Be 4
        foreach ($target in $targets) {
            $lines = @($target | Get-ViewLine)
            Assert-FitsIn80 $lines
            @($lines | Where-Object { $_ -like "$($target.Name) *" }).Count | Should -Be 1
        }
        Get-Squeezed @($targets[3] | Get-ViewLine) | Should -BeLike '*cache-replica.example.org:6379,cache.example.org:6379*'
    }

    It 'Restore-Backup and Copy-Backup: results grouped or wrapped to fit' {
        $backup = Invoke-Backup -Name a-collection-with-a-long-name -Repository $repository -ErrorAction Stop
        $restored = @($backup | Restore-Backup -Destination (Join-Path $TestDrive 'restored') -Confirm:$false -ErrorVariable restoreErrors)
        $restoreErrors | Should -BeNullOrEmpty
        $restored.Count | Should -Be 1
        $lines = @($restored | Get-ViewLine)
        Assert-FitsIn80 $lines
        $lines[0] | Should -Be "   BackupId: $($backup.Id)"

        $copies = @($backup | Copy-Backup -DestinationRepository (Join-Path $TestDrive 'copy') -ErrorVariable copyErrors)
        $copyErrors | Should -BeNullOrEmpty
        $copies.Count | Should -BeGreaterThan 0
        $lines = @($copies | Get-ViewLine)
        Assert-FitsIn80 $lines
        $lines | Where-Object { $_ -like "Copied * $($backup.Id) *" } | Should -Not -BeNullOrEmpty
    }

    It 'Invoke-RetentionPolicy: every reason shown whole, wrapped' {
        $null = Invoke-Backup -Name a-collection-with-a-long-name -Repository $repository -ErrorAction Stop
        $null = Invoke-Backup -Name a-collection-with-a-long-name -Repository $repository -Incremental -ErrorAction Stop
        $plan = @(Invoke-RetentionPolicy -Collection a-collection-with-a-long-name -Repository $repository -WhatIf -ErrorVariable err)
        $err | Should -BeNullOrEmpty
        $plan.Count | Should -BeGreaterThan 1
        $lines = @($plan | Get-ViewLine)
        Assert-FitsIn80 $lines
        foreach ($decision in $plan) {
            Get-Squeezed $lines | Should -BeLike ('*' + (Get-Squeezed "$($decision.BackupId) $($decision.Action)") + '*')
            Get-Squeezed $lines | Should -BeLike ('*' + (Get-Squeezed $decision.Reasons) + '*')
        }
    }
}
