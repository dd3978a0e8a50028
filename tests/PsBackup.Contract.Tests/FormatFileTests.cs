using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace PsBackup.Contract.Tests;

/// <summary>PsBackup.Format.ps1xml names real types and real properties (a typo there only shows as an empty column).</summary>
[Collection(ModuleCollection.Name)]
public sealed partial class FormatFileTests(ModuleUnderTest module)
{
    private XDocument Load()
    {
        var file = Path.Combine(module.ModuleRoot, "PsBackup.Format.ps1xml");
        Assert.True(File.Exists(file), $"{file} is missing.");
        return XDocument.Load(file);
    }

    private Type TypeOf(string name) =>
        module.Abstractions.GetType(name) ?? throw new Xunit.Sdk.XunitException($"The format file names type '{name}', which PsBackup.Abstractions.dll does not define.");

    [Fact]
    public void Every_TypeName_is_a_type_of_PsBackup_Abstractions()
    {
        var names = Load().Descendants("TypeName").Select(e => e.Value.Trim()).ToList();
        Assert.NotEmpty(names);
        foreach (var name in names)
            TypeOf(name);
    }

    [Fact]
    public void Every_PropertyName_and_script_block_property_exists_on_the_viewed_type()
    {
        foreach (var view in Load().Descendants("View"))
        {
            var types = view.Element("ViewSelectedBy")!.Elements("TypeName").Select(e => TypeOf(e.Value.Trim())).ToList();
            Assert.True(types.Count > 0, $"View '{view.Element("Name")?.Value}' selects no TypeName.");
            var properties = view.Descendants("PropertyName").Select(e => e.Value.Trim())
                .Concat(view.Descendants("ScriptBlock").SelectMany(e => DollarUnderscoreProperty().Matches(e.Value).Select(m => m.Groups[1].Value)))
                .Distinct().ToList();
            foreach (var type in types)
            foreach (var property in properties)
                Assert.True(type.GetProperty(property) != null,
                    $"View '{view.Element("Name")?.Value}': {type.FullName} has no property '{property}'.");
        }
    }

    [Fact]
    public void Table_views_have_as_many_headers_as_columns()
    {
        foreach (var table in Load().Descendants("TableControl"))
        {
            var headers = table.Element("TableHeaders")?.Elements("TableColumnHeader").Count() ?? 0;
            foreach (var row in table.Descendants("TableColumnItems"))
                Assert.Equal(headers, row.Elements("TableColumnItem").Count());
        }
    }

    [Fact]
    public void Every_output_type_has_a_view()
    {
        var viewed = Load().Descendants("TypeName").Select(e => e.Value.Trim()).ToHashSet();
        var outputs = module.CmdletTypes.SelectMany(c => c.Attributes("OutputTypeAttribute"))
            .SelectMany(a => ModuleUnderTest.ArrayArgument(a)).OfType<Type>()
            .Select(t => t.FullName!).Where(n => n is not ("System.Void" or "System.Boolean" or "System.String")).Distinct(); // a -Quiet bool needs no view; strings: Export-BackupMetrics' Prometheus text
        foreach (var output in outputs)
            Assert.True(viewed.Contains(output), $"{output} is written to the pipeline but has no view in PsBackup.Format.ps1xml.");
    }

    [GeneratedRegex(@"\$_\.([A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex DollarUnderscoreProperty();
}
