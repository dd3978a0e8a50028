using PsBackup.Cli;

// psbackup-cli: the PsBackup engine without PowerShell, for the README demo, bench/ and tests.
return await CliCommands.RunAsync(args);
