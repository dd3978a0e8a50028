# Runs (a nested module of the manifest) before PowerShell loads this version's PsBackup.dll. Versions install side
# by side, but .NET loads one PsBackup.dll per session: importing a second version after the first
# would fail with "Assembly with same name is already loaded". Say so plainly, with what to do; the
# version already imported keeps working.
$psBackupOwnDll = Join-Path $PSScriptRoot 'PsBackup.dll'
$psBackupLoaded = [AppDomain]::CurrentDomain.GetAssemblies() |
    Where-Object { $_.GetName().Name -eq 'PsBackup' -and $_.Location -and $_.Location -ne $psBackupOwnDll } |
    Select-Object -First 1
if ($psBackupLoaded) {
    $psBackupWanted = (Split-Path -Leaf $PSScriptRoot)
    $psBackupError = [System.Management.Automation.ErrorRecord]::new(
        [System.InvalidOperationException]::new(
            "PsBackup $($psBackupLoaded.GetName().Version.ToString(3)) (from $(Split-Path -Parent $psBackupLoaded.Location)) is already loaded in this session, " +
            "so PsBackup from $PSScriptRoot cannot be imported beside it: one version per session. Start a new session (pwsh) and run " +
            "Import-Module PsBackup -RequiredVersion $psBackupWanted there; the version already loaded keeps working here."),
        'PsBackupVersionAlreadyLoaded', [System.Management.Automation.ErrorCategory]::ResourceExists, $PSScriptRoot)
    throw $psBackupError
}
