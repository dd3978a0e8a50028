#Requires -Version 7.4
# Pester 5: a file tree as tar would back it up and restore it, through the cmdlets: a name that
# is not UTF-8, a hard link and a sparse file (file trees need Linux; the tree is made and checked with bash,
# since .NET strings cannot name such a file).

Describe 'File trees with byte names, hard links and holes' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'PsBackup.TestHelpers.ps1')
        Import-Module (Get-PsBackupModuleManifest) -Force -ErrorAction Stop
        $repository = Join-Path $TestDrive 'repository'
        $source = Join-Path $TestDrive 'tree'
        $restored = Join-Path $TestDrive 'restored'

        # caf<0xE9> (Latin-1), a hard link pair, 64 MiB with 4 KiB of data at 32 MiB.
        bash -c @"
set -e
mkdir '$source' && cd '$source'
printf 'latin-1 name' > "`$(printf 'caf\xe9.txt')"
printf 'shared' > first && ln first second
truncate -s 64M sparse && printf 'x%.0s' {1..4096} | dd of=sparse bs=4096 seek=8192 conv=notrunc status=none
"@
        # One line per path: name bytes (hex), type, mode, link count, size, content hash.
        function Get-RawListing([string] $Path) {
            bash -c "cd '$Path' && find . -mindepth 1 -printf '%P\0%y %m %n %s\n' | LC_ALL=C sort | od -An -tx1 | tr -d ' \n'; echo; find . -type f -exec sha256sum {} + | LC_ALL=C sort"
        }
        $sourceListing = Get-RawListing $source

        $target = New-BackupTarget -Path $source -Name tree
        $null = $target | New-BackupCollection -Name files -Repository $repository
        $backup = Invoke-Backup -Name files -Repository $repository -ErrorVariable backupErrors
        $result = @(Restore-Backup -Id $backup.Id -Repository $repository -Destination $restored -Confirm:$false -ErrorVariable restoreErrors -WarningVariable restoreWarnings)
    }

    AfterAll {
        # Pester's TestDrive cleanup goes through .NET, which cannot name caf<0xE9>.txt.
        bash -c "rm -rf '$source' '$restored'"
    }

    It 'backs up and restores without an error' {
        $backupErrors | Should -HaveCount 0
        $backup.Status | Should -Be 'Complete'
        $restoreErrors | Should -HaveCount 0
        $restoreWarnings | Should -HaveCount 0
        $result | Should -HaveCount 1
        $result[0].ItemCount | Should -Be 4
    }

    It 'stores the holes of the sparse file as nothing' {
        $backup.SizeBytes | Should -BeLessThan 64KB
    }

    It 'restores the name bytes, the hard link and the holes exactly' {
        Get-RawListing $restored | Should -Be $sourceListing
        bash -c 'test -f "$1"/$''caf\xe9.txt''' _ $restored
        $LASTEXITCODE | Should -Be 0
        [int](bash -c "stat -c %h '$restored/second'") | Should -Be 2
        [int](bash -c "stat -c %i '$restored/first'") | Should -Be ([int](bash -c "stat -c %i '$restored/second'"))
        [long](bash -c "stat -c %b '$restored/sparse'") * 512 | Should -BeLessOrEqual 8KB
    }
}
