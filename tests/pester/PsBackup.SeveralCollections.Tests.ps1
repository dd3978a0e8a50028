#Requires -Version 7.4
# Pester 5: Invoke-Backup of several collections in one call (names, wildcards, piped
# collections), in parallel up to -CollectionThrottleLimit; one BackupInfo each; a collection
# that fails is a non-terminating error and the others complete. Repositories live in $TestDrive.

Describe 'Invoke-Backup of several collections' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'PsBackup.TestHelpers.ps1')
        Import-Module (Get-PsBackupModuleManifest) -Force -ErrorAction Stop

        $repository = Join-Path $TestDrive 'repository'
        $other = Join-Path $TestDrive 'other-repository'
        $sources = @{}
        foreach ($name in 'web-a', 'web-b', 'db', 'shard-1', 'shard-2') {
            $sources[$name] = Join-Path $TestDrive "src-$name"
            New-TestTree -Path $sources[$name] -File @{ 'data.txt' = "data of $name"; 'big.bin' = "$name " * 50000 }
            $null = New-BackupTarget -Path $sources[$name] -Name files |
                New-BackupCollection -Name $name -Repository ($name -like 'shard-2' ? $other : $repository) -ErrorAction Stop
        }
        # A collection whose only target is gone: its backup fails.
        $gone = Join-Path $TestDrive 'src-gone'
        New-TestTree -Path $gone -File @{ 'x.txt' = 'x' }
        $null = New-BackupTarget -Path $gone -Name files | New-BackupCollection -Name web-broken -Repository $repository -ErrorAction Stop
        Remove-Item -LiteralPath $gone -Recurse

        function Assert-RestoresExactly([object[]] $Backups) {
            foreach ($backup in $Backups) {
                $destination = Join-Path $TestDrive "restored-$($backup.Id)"
                $null = $backup | Restore-Backup -Destination $destination -Confirm:$false -ErrorAction Stop
                Get-TreeSnapshot -Path $destination | Should -Be (Get-TreeSnapshot -Path $sources[$backup.Collection])
            }
        }
    }

    It 'backs up names and wildcards in parallel, one BackupInfo each; the failing collection is a non-terminating error' {
        $backups = @(Invoke-Backup -Name 'web-*', db -Repository $repository -CollectionThrottleLimit 2 -ErrorVariable err -ErrorAction SilentlyContinue)
        (@($backups.Collection | Sort-Object) -join ',') | Should -Be 'db,web-a,web-b'
        $backups.Status | Should -Be @('Complete', 'Complete', 'Complete')
        $err.Count | Should -Be 1
        $err[0].Exception.Message | Should -Match 'src-gone'
        Get-Backup -Collection web-broken -Repository $repository | Should -BeNullOrEmpty
        Assert-RestoresExactly $backups
    }

    It 'backs up piped collections, each in its own repository' {
        $collections = @(Get-BackupCollection -Name 'shard-*' -Repository $repository) + @(Get-BackupCollection -Name 'shard-*' -Repository $other)
        $collections.Count | Should -Be 2
        $backups = @($collections | Invoke-Backup -ErrorVariable err)
        $err | Should -BeNullOrEmpty
        (@($backups | Sort-Object Collection | ForEach-Object { "$($_.Collection)@$($_.Repository)" }) -join ',') | Should -Be "shard-1@$repository,shard-2@$other"
        Assert-RestoresExactly $backups
    }

    It 'an unknown name is CollectionNotFound while the others are backed up; a wildcard matching nothing is no error' {
        $backups = @(Invoke-Backup -Name web-a, no-such-collection, 'nothing-*' -Repository $repository -ErrorVariable err -ErrorAction SilentlyContinue)
        $backups.Count | Should -Be 1
        $backups[0].Collection | Should -Be 'web-a'
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'CollectionNotFound,*'
        $err[0].TargetObject | Should -Be 'no-such-collection'
    }
}
