namespace PsBackup.Contract.Tests;

/// <summary>
/// The pipelines the design promises (Get-BackupCollection | Invoke-Backup, Get-Backup |
/// Restore-Backup …) bind by property name: PowerShell matches a parameter's name or one of its
/// aliases, case-insensitively, against the public properties of the piped object.
/// </summary>
[Collection(ModuleCollection.Name)]
public sealed class PipelineBindingTests(ModuleUnderTest module)
{
    [Theory]
    [InlineData("Invoke-Backup", "PsBackup.BackupCollectionInfo")]
    [InlineData("Restore-Backup", "PsBackup.BackupInfo")]
    [InlineData("Test-Backup", "PsBackup.BackupInfo")]
    [InlineData("Remove-BackupCollection", "PsBackup.BackupCollectionInfo")]
    [InlineData("Invoke-RetentionPolicy", "PsBackup.BackupCollectionInfo")]
    [InlineData("Invoke-RetentionPolicy", "PsBackup.BackupInfo")]
    [InlineData("Set-Backup", "PsBackup.BackupInfo")]
    [InlineData("Set-Backup", "PsBackup.RetentionDecision")]
    [InlineData("Set-BackupCollection", "PsBackup.BackupCollectionInfo")]
    [InlineData("Invoke-RestoreDrill", "PsBackup.BackupCollectionInfo")]
    [InlineData("Invoke-RestoreDrill", "PsBackup.BackupInfo")]
    public void Every_mandatory_parameter_binds_by_property_name_from_the_piped_type(string cmdletName, string inputType)
    {
        var cmdlet = module.Cmdlet(cmdletName);
        var mandatory = cmdlet.Parameters.Where(p => p.IsMandatoryAnywhere).ToList();
        Assert.NotEmpty(mandatory);
        foreach (var parameter in mandatory)
            AssertBinds(cmdlet, parameter, inputType);
    }

    [Theory]
    [InlineData("Invoke-Backup", "Name", "PsBackup.BackupCollectionInfo", "Name")]
    [InlineData("Invoke-Backup", "Repository", "PsBackup.BackupCollectionInfo", "Repository")]
    [InlineData("Get-Backup", "Collection", "PsBackup.BackupCollectionInfo", "Name")]
    [InlineData("Get-Backup", "Repository", "PsBackup.BackupCollectionInfo", "Repository")]
    [InlineData("Remove-BackupCollection", "Name", "PsBackup.BackupCollectionInfo", "Name")]
    [InlineData("Remove-BackupCollection", "Repository", "PsBackup.BackupCollectionInfo", "Repository")]
    [InlineData("Restore-Backup", "Id", "PsBackup.BackupInfo", "Id")]
    [InlineData("Restore-Backup", "Collection", "PsBackup.BackupInfo", "Collection")]
    [InlineData("Restore-Backup", "Repository", "PsBackup.BackupInfo", "Repository")]
    [InlineData("Test-Backup", "Id", "PsBackup.BackupInfo", "Id")]
    [InlineData("Test-Backup", "Collection", "PsBackup.BackupInfo", "Collection")]
    [InlineData("Test-Backup", "Repository", "PsBackup.BackupInfo", "Repository")]
    [InlineData("Get-BackupCollection", "Name", "PsBackup.BackupCollectionInfo", "Name")]
    [InlineData("Copy-Backup", "Collection", "PsBackup.BackupInfo", "Collection")]
    [InlineData("Copy-Backup", "Id", "PsBackup.BackupInfo", "Id")]
    [InlineData("Copy-Backup", "Repository", "PsBackup.BackupInfo", "Repository")]
    [InlineData("Copy-Backup", "Collection", "PsBackup.BackupCollectionInfo", "Name")]
    [InlineData("Copy-Backup", "Repository", "PsBackup.BackupCollectionInfo", "Repository")]
    [InlineData("Invoke-RetentionPolicy", "Collection", "PsBackup.BackupCollectionInfo", "Name")]
    [InlineData("Invoke-RetentionPolicy", "Repository", "PsBackup.BackupCollectionInfo", "Repository")]
    [InlineData("Invoke-RetentionPolicy", "Collection", "PsBackup.BackupInfo", "Collection")]
    [InlineData("Set-Backup", "Id", "PsBackup.BackupInfo", "Id")]
    [InlineData("Set-Backup", "Collection", "PsBackup.BackupInfo", "Collection")]
    [InlineData("Set-Backup", "Repository", "PsBackup.BackupInfo", "Repository")]
    [InlineData("Set-Backup", "Id", "PsBackup.RetentionDecision", "BackupId")]
    [InlineData("Set-BackupCollection", "Name", "PsBackup.BackupCollectionInfo", "Name")]
    [InlineData("Set-BackupCollection", "Repository", "PsBackup.BackupCollectionInfo", "Repository")]
    [InlineData("Invoke-RestoreDrill", "Collection", "PsBackup.BackupInfo", "Collection")]
    [InlineData("Invoke-RestoreDrill", "Id", "PsBackup.BackupInfo", "Id")]
    [InlineData("Invoke-RestoreDrill", "Repository", "PsBackup.BackupInfo", "Repository")]
    [InlineData("Invoke-RestoreDrill", "Collection", "PsBackup.BackupCollectionInfo", "Name")]
    [InlineData("Get-RestoreDrill", "Collection", "PsBackup.BackupInfo", "Collection")]
    [InlineData("Get-RestoreDrill", "Id", "PsBackup.BackupInfo", "Id")]
    [InlineData("Get-RestoreDrill", "Collection", "PsBackup.BackupCollectionInfo", "Name")]
    public void Parameter_binds_from_the_named_property(string cmdletName, string parameterName, string inputType, string property)
    {
        var cmdlet = module.Cmdlet(cmdletName);
        var bound = AssertBinds(cmdlet, cmdlet.Parameter(parameterName), inputType);
        Assert.Equal(property, bound);
    }

    [Fact]
    public void New_BackupCollection_takes_targets_from_the_pipeline_by_value()
    {
        var target = module.Cmdlet("New-BackupCollection").Parameter("Target");
        Assert.True(target.IsByValue, "New-BackupTarget ... | New-BackupCollection needs -Target ValueFromPipeline.");
        var element = target.Type.IsArray ? target.Type.GetElementType()! : target.Type;
        Assert.Equal("PsBackup.BackupTarget", element.FullName);
        var output = module.Abstractions.GetType("PsBackup.FileTreeTarget", throwOnError: true)!;
        Assert.Equal("PsBackup.BackupTarget", output.BaseType!.FullName);
    }

    [Fact]
    public void New_BackupTarget_takes_directories_from_Get_ChildItem()
    {
        var path = module.Cmdlet("New-BackupTarget").Parameter("Path");
        Assert.True(path.IsByPropertyName);
        Assert.Contains("FullName", path.Aliases);
    }

    /// <summary>Asserts the parameter binds by property name from <paramref name="inputType"/>; returns the property it binds from.</summary>
    private string AssertBinds(CmdletInfo cmdlet, ParameterInfo parameter, string inputType)
    {
        var type = module.Abstractions.GetType(inputType, throwOnError: true)!;
        Assert.True(parameter.IsByPropertyName, $"{cmdlet} -{parameter.Name} is not ValueFromPipelineByPropertyName.");
        var properties = type.GetProperties().Where(p => p.GetMethod is { IsPublic: true }).ToList();
        // PowerShell tries the parameter name first, then its aliases.
        var match = parameter.NamesAndAliases
            .Select(n => properties.FirstOrDefault(p => string.Equals(p.Name, n, StringComparison.OrdinalIgnoreCase)))
            .FirstOrDefault(p => p != null);
        Assert.True(match != null,
            $"{cmdlet} -{parameter.Name} (aliases: {string.Join(", ", parameter.Aliases)}) matches no public property of {inputType}.");
        var target = parameter.Type.IsArray ? parameter.Type.GetElementType()! : parameter.Type;
        Assert.True(target.FullName == match!.PropertyType.FullName,
            $"{cmdlet} -{parameter.Name} is {parameter.Type}; {inputType}.{match.Name} is {match.PropertyType}.");
        return match.Name;
    }
}
