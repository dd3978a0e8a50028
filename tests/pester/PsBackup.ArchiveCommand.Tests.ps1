#Requires -Version 7.4
# Pester 5: Get-BackupArchiveCommand and the archiver shipped in the module (archiver/psbackup-cli).
# That PostgreSQL really archives through the printed line is shown by PsBackup.PostgreSqlCluster.Tests.ps1
# (ALTER SYSTEM with this cmdlet's line) and by .ci/package-smoke.ps1 (the installed package).

Describe 'Get-BackupArchiveCommand' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'PsBackup.TestHelpers.ps1')
        $manifestPath = Get-PsBackupModuleManifest
        $version = (Import-PowerShellDataFile -LiteralPath $manifestPath).ModuleVersion
        $module = Import-Module $manifestPath -Force -PassThru -ErrorAction Stop
        $repository = Join-Path $TestDrive "repo with 'quote"
        # New-BackupCollection does not connect: a cluster target on an unused port is enough to print its line.
        $null = New-BackupTarget -PostgreSqlCluster -Server 127.0.0.1 -Port 1 -Name db -UserName backup |
            New-BackupCollection -Name orders-pitr -Repository $repository -ErrorAction Stop
        $secret = ConvertTo-SecureString 'archive-line-secret-42' -AsPlainText -Force
        $null = New-BackupTarget -PostgreSqlCluster -Server 127.0.0.1 -Port 1 -Name db -UserName backup |
            New-BackupCollection -Name sealed-pitr -Repository $repository -EncryptionPassphrase $secret -ErrorAction Stop
        $source = Join-Path $TestDrive 'files'
        New-TestTree -Path $source -File @{ 'a.txt' = 'a' }
        $null = New-BackupTarget -Path $source | New-BackupCollection -Name plain-files -Repository $repository -ErrorAction Stop
    }

    It 'prints the archive_command line that runs the module''s own archiver' {
        $line = Get-BackupArchiveCommand -Collection orders-pitr -Repository $repository -ErrorVariable err
        $err | Should -BeNullOrEmpty
        @($line).Count | Should -Be 1
        $archiver = Join-Path $module.ModuleBase 'archiver' 'psbackup-cli'
        $line.Archiver | Should -Be @($archiver)
        $line.Repository | Should -Be $repository
        # Shell-quoted repository ('\'' for its quote), then doubled quotes inside the .conf literal.
        $line.Command | Should -Be "$archiver archive-log --repository '$($repository -replace "'", "'\''")' --collection orders-pitr %p %f"
        $line.ConfigurationLine | Should -Be "archive_command = '$($line.Command -replace "'", "''")'"
        "$line" | Should -Be $line.ConfigurationLine
        $line.Environment | Should -BeNullOrEmpty
    }

    It 'the default view shows the whole line, wrapped but never cut, at 80 columns' {
        $line = Get-BackupArchiveCommand -Collection orders-pitr -Repository $repository -ErrorAction Stop
        $text = $line | Out-String -Width 80
        $text | Should -Match 'ConfigurationLine'
        ($text -replace '\s+', '') | Should -BeLike "*$([WildcardPattern]::Escape(($line.ConfigurationLine -replace '\s+', '')))*"
    }

    It 'the shipped archiver runs and carries the module''s version' {
        $archiver = (Get-BackupArchiveCommand -Collection orders-pitr -Repository $repository -ErrorAction Stop).Archiver
        $printed = & $archiver[0] @($archiver | Select-Object -Skip 1) version
        $LASTEXITCODE | Should -Be 0
        $printed | Should -Be $version
    }

    It 'never puts a passphrase on the line: it names the variable or the file' {
        $env:PSBACKUP_PASSPHRASE = 'archive-line-secret-42'
        try {
            $line = Get-BackupArchiveCommand -Collection sealed-pitr -Repository $repository -ErrorVariable err
        }
        finally { Remove-Item Env:PSBACKUP_PASSPHRASE }
        $err | Should -BeNullOrEmpty
        $line.Environment | Should -Be @('PSBACKUP_PASSPHRASE')
        ($line | Format-List * | Out-String) | Should -Not -Match 'archive-line-secret-42'
        $file = Get-BackupArchiveCommand -Collection sealed-pitr -Repository $repository -PassphraseFile /etc/psbackup/passphrase -ErrorAction Stop
        $file.Command | Should -Match ' --passphrase-file /etc/psbackup/passphrase %p %f$'
        $file.Environment | Should -BeNullOrEmpty
    }

    It 'an S3 repository and a copy: the line names both, the keys stay in the environment' {
        $line = Get-BackupArchiveCommand -Collection orders-pitr -Repository $repository -CopyRepository s3://dr-bucket/orders -Archiver /opt/psbackup/psbackup-cli -ErrorVariable err
        $err | Should -BeNullOrEmpty
        $line.Command | Should -BeLike "/opt/psbackup/psbackup-cli archive-log --repository * --repository s3://dr-bucket/orders --collection orders-pitr %p %f"
        $line.Environment | Should -Contain 'AWS_ACCESS_KEY_ID'
        $line.Environment | Should -Contain 'AWS_SECRET_ACCESS_KEY'
    }

    It 'refuses a collection without a PostgreSQL cluster target' {
        $line = Get-BackupArchiveCommand -Collection plain-files -Repository $repository -ErrorVariable err -ErrorAction SilentlyContinue
        $line | Should -BeNullOrEmpty
        @($err).Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'NoPointInTimeTarget,*'
    }

    It 'refuses a collection that does not exist' {
        $line = Get-BackupArchiveCommand -Collection nope -Repository $repository -ErrorVariable err -ErrorAction SilentlyContinue
        $line | Should -BeNullOrEmpty
        @($err).Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'CollectionNotFound,*'
    }
}
