#Requires -Version 7.4
# Pester 5: the built module as PowerShell sees it: exports, help, and dependency isolation.

BeforeDiscovery {
    # The cmdlet names drive -ForEach, so they are read at discovery time, from the source manifest.
    $cmdletNames = (Import-PowerShellDataFile -LiteralPath (Join-Path $PSScriptRoot '..' '..' 'PsBackup.psd1')).CmdletsToExport
}

Describe 'The PsBackup module' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'PsBackup.TestHelpers.ps1')
        $manifestPath = Get-PsBackupModuleManifest
        $manifest = Import-PowerShellDataFile -LiteralPath $manifestPath
        $module = Import-Module $manifestPath -Force -PassThru -ErrorAction Stop
    }

    It 'is imported from the built module folder' {
        $module.Name | Should -Be 'PsBackup'
        $module.ModuleBase | Should -Be (Split-Path -Parent $manifestPath)
        $module.Version | Should -Be ([version]$manifest.ModuleVersion)
    }

    It 'exports exactly the cmdlets of PsBackup.psd1' {
        $commands = @(Get-Command -Module PsBackup)
        ((@($commands.Name) | Sort-Object) -join ',') | Should -Be ((@($manifest.CmdletsToExport) | Sort-Object) -join ',')
        $commands | Where-Object CommandType -ne 'Cmdlet' | Should -BeNullOrEmpty
    }

    It 'loads the engine and its packages from Dependencies/ into their own load context' {
        # Any cmdlet that reaches the engine loads it; New-BackupCollection also reaches Newtonsoft.Json.
        $source = Join-Path $TestDrive 'isolation-source'
        New-TestTree -Path $source -File @{ 'file.txt' = 'content' }
        $collection = New-BackupTarget -Path $source |
            New-BackupCollection -Name isolation -Repository (Join-Path $TestDrive 'isolation-repository') -ErrorAction Stop
        $collection.Name | Should -Be 'isolation'

        $dependencies = Join-Path $module.ModuleBase 'Dependencies'
        $context = [System.Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -eq 'PsBackup.Dependencies'
        $context | Should -Not -BeNullOrEmpty
        foreach ($name in 'PsBackup.Engine', 'Newtonsoft.Json') {
            $assembly = $context.Assemblies | Where-Object { $_.GetName().Name -eq $name }
            $assembly | Should -Not -BeNullOrEmpty -Because "$name must load in the PsBackup.Dependencies context"
            Split-Path -Parent $assembly.Location | Should -Be $dependencies
        }
        # The shared output types come from the module root, once.
        $abstractions = @([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'PsBackup.Abstractions' })
        $abstractions.Count | Should -Be 1
        Split-Path -Parent $abstractions[0].Location | Should -Be $module.ModuleBase
    }

    It 'Get-Help <_> -Full shows the help file: synopsis, description, examples, parameters' -ForEach $cmdletNames {
        $name = $_
        $help = Get-Help -Name $name -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        # Without a help file, PowerShell makes the synopsis from the syntax ("Get-Backup [[-Collection] ...").
        $help.Synopsis.Trim() | Should -Not -BeLike "$name *"
        ($help.description | Out-String).Trim() | Should -Not -BeNullOrEmpty
        @($help.examples.example).Count | Should -BeGreaterOrEqual 2

        $documented = @($help.parameters.parameter | ForEach-Object { $_.name })
        $common = @([System.Management.Automation.PSCmdlet]::CommonParameters) + @([System.Management.Automation.PSCmdlet]::OptionalCommonParameters)
        $declared = (Get-Command -Name $name).Parameters.Keys | Where-Object { $_ -notin $common }
        foreach ($parameter in $declared) {
            $documented | Should -Contain $parameter -Because "Get-Help $name should document -$parameter"
        }
    }

    It 'Get-Help about_PsBackup shows the about topic' {
        Test-Path -LiteralPath (Join-Path $module.ModuleBase 'en-US' 'about_PsBackup.help.txt') | Should -BeTrue
        $savedPath = $env:PSModulePath
        try {
            # out/ holds PsBackup/<version>/, so it is a module path where the help system also looks.
            $env:PSModulePath = (Split-Path -Parent (Split-Path -Parent $module.ModuleBase)) + [System.IO.Path]::PathSeparator + $savedPath
            (Get-Help -Name about_PsBackup | Out-String) | Should -Match 'PsBackup'
        }
        finally {
            $env:PSModulePath = $savedPath
        }
    }
}
