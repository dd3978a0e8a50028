@{
    RootModule           = 'PsBackup.dll'
    ModuleVersion        = '0.1.0'
    CompatiblePSEditions = @('Core')
    GUID                 = '7d1f3f0e-3c1b-4b8e-9a55-2f6b7d0c9e41'
    Author               = 'PsBackup contributors'
    CompanyName          = 'PsBackup'
    Copyright            = '(c) PsBackup contributors. MIT License.'
    Description          = 'Backup and disaster recovery for file trees, PostgreSQL (tables, or whole clusters with point-in-time recovery), Redis and MongoDB: verified, atomic, incremental backups into local or S3 repositories, restore drills with measured RTO/RPO, DR environment checks, backup-aware failover and Prometheus metrics, as PowerShell pipeline objects.'
    PowerShellVersion    = '7.4'
    # Only our two assemblies live in the module root. The engine and its third-party
    # dependencies load from Dependencies/ through an isolated AssemblyLoadContext, so they are
    # deliberately NOT listed in RequiredAssemblies.
    FormatsToProcess     = @('PsBackup.Format.ps1xml')
    # Loaded before the root module: a clear error (PsBackupVersionAlreadyLoaded) instead of .NET's
    # "Assembly with same name is already loaded" when a second version is imported into a session
    # that has one (versions install side by side; one per session).
    NestedModules        = @('PsBackup.VersionGuard.ps1')
    CmdletsToExport      = @(
        'New-BackupTarget'
        'New-BackupCollection'
        'Get-BackupCollection'
        'Remove-BackupCollection'
        'Invoke-Backup'
        'Get-Backup'
        'Restore-Backup'
        'Test-Backup'
        'Copy-Backup'
        'Get-BackupTargetStatus'
        'Get-BackupStorageLifecycle'
        'Set-BackupStorageLifecycle'
        'Remove-BackupStorageLifecycle'
        'Get-BackupRecoveryWindow'
        'Get-BackupArchiveCommand'
        'Invoke-RetentionPolicy'
        'Set-Backup'
        'Set-BackupCollection'
        'Test-DrEnvironment'
        'Start-Failover'
        'Get-BackupRun'
        'Export-BackupMetrics'
        'Invoke-RestoreDrill'
        'Get-RestoreDrill'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            # Gallery metadata (Compress-PSResource / Publish-PSResource turn it into the .nuspec).
            # No ProjectUri/LicenseUri: the project has no public address yet; the licence text
            # (LICENSE, MIT) and CHANGELOG.md ship inside the package.
            Tags         = @('Backup', 'Restore', 'DisasterRecovery', 'PostgreSQL', 'PITR', 'Redis', 'MongoDB', 'S3', 'Prometheus', 'Failover', 'Linux', 'PSEdition_Core')
            ReleaseNotes = 'See CHANGELOG.md in the module folder. 0.1.0: first version; the WAL archiver ships in archiver/ (Get-BackupArchiveCommand).'
        }
    }
}
