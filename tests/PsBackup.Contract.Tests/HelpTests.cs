using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace PsBackup.Contract.Tests;

/// <summary>
/// The help shipped in en-US/ (what Get-Help shows) agrees with the cmdlets' metadata, and the
/// markdown pages in docs/cmdlets it is generated from exist and name only real ErrorIds.
/// </summary>
[Collection(ModuleCollection.Name)]
public sealed partial class HelpTests(ModuleUnderTest module)
{
    private static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    private static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";
    private static readonly XNamespace Msh = "http://msh";

    private string HelpDir => Path.Combine(module.ModuleRoot, "en-US");

    private IReadOnlyList<string> Exported => module.Manifest.Array("CmdletsToExport") ?? [];

    private Dictionary<string, XElement> Commands()
    {
        var file = Path.Combine(HelpDir, "PsBackup.dll-Help.xml");
        Assert.True(File.Exists(file), $"{file} is missing.");
        var doc = XDocument.Load(file); // throws when the XML is not well-formed
        Assert.Equal(Msh + "helpItems", doc.Root!.Name);
        Assert.Equal("maml", (string?)doc.Root.Attribute("schema"));
        var commands = doc.Root.Elements(Command + "command").ToList();
        var byName = new Dictionary<string, XElement>(StringComparer.OrdinalIgnoreCase);
        foreach (var command in commands)
        {
            var name = Text(command.Element(Command + "details")?.Element(Command + "name"));
            Assert.True(byName.TryAdd(name, command), $"The help has two entries for '{name}'.");
        }
        return byName;
    }

    private static string Text(XElement? element) => element == null ? "" : string.Concat(element.DescendantNodes().OfType<XText>().Select(t => t.Value)).Trim();

    private static string Paras(XElement? description) =>
        description == null ? "" : string.Join("\n", description.Elements(Maml + "para").Select(p => p.Value.Trim())).Trim();

    [Fact]
    public void About_topic_exists_and_covers_the_module()
    {
        var file = Path.Combine(HelpDir, "about_PsBackup.help.txt");
        Assert.True(File.Exists(file), $"{file} is missing.");
        var text = File.ReadAllText(file);
        Assert.Contains("about_PsBackup", text);
        Assert.Contains("SHORT DESCRIPTION", text);
        Assert.Contains("LONG DESCRIPTION", text);
        Assert.Contains("PSBACKUP_REPOSITORY", text);
        foreach (var cmdlet in Exported)
            Assert.True(text.Contains(cmdlet, StringComparison.Ordinal), $"about_PsBackup never mentions {cmdlet}.");
    }

    [Fact]
    public void Every_exported_cmdlet_has_help_with_synopsis_description_examples_inputs_and_outputs()
    {
        var commands = Commands();
        Assert.Equal(Exported.Order(StringComparer.Ordinal), commands.Keys.Order(StringComparer.Ordinal));
        foreach (var name in Exported)
        {
            var command = commands[name];
            var cmdlet = module.Cmdlet(name);
            var details = command.Element(Command + "details")!;
            Assert.Equal(cmdlet.Verb, Text(details.Element(Command + "verb")));
            Assert.Equal(cmdlet.Noun, Text(details.Element(Command + "noun")));
            Assert.False(string.IsNullOrWhiteSpace(Paras(details.Element(Maml + "description"))), $"{name}: no synopsis.");
            Assert.False(string.IsNullOrWhiteSpace(Paras(command.Element(Maml + "description"))), $"{name}: no description.");

            var examples = command.Element(Command + "examples")?.Elements(Command + "example").ToList() ?? [];
            Assert.True(examples.Count >= 2, $"{name}: {examples.Count} example(s); at least 2 are expected.");
            foreach (var example in examples)
            {
                Assert.False(string.IsNullOrWhiteSpace(Text(example.Element(Maml + "title"))), $"{name}: an example has no title.");
                Assert.Contains(name, Text(example.Element(Dev + "code")), StringComparison.OrdinalIgnoreCase);
            }

            Assert.NotEmpty(command.Element(Command + "inputTypes")?.Elements(Command + "inputType") ?? []);
            var returns = command.Element(Command + "returnValues")?.Elements(Command + "returnValue")
                .Select(r => Text(r.Element(Dev + "type")?.Element(Maml + "name"))).ToList() ?? [];
            var declared = cmdlet.Attributes("OutputTypeAttribute").SelectMany(a => ModuleUnderTest.ArrayArgument(a)).OfType<Type>()
                .Select(t => t.FullName!).Where(t => t != "System.Void");
            foreach (var output in declared)
                Assert.True(returns.Contains(output), $"{name}: OUTPUTS should name {output} ([OutputType]); it names {string.Join(", ", returns)}.");
        }
    }

    [Fact]
    public void Help_documents_every_parameter_as_the_metadata_declares_it()
    {
        var commands = Commands();
        foreach (var name in Exported)
        {
            var cmdlet = module.Cmdlet(name);
            var documented = commands[name].Element(Command + "parameters")?.Elements(Command + "parameter")
                .ToDictionary(p => Text(p.Element(Maml + "name")), StringComparer.OrdinalIgnoreCase) ?? [];
            var expected = cmdlet.Parameters.Select(p => p.Name).ToList();
            if (cmdlet.SupportsShouldProcess) expected.AddRange(["WhatIf", "Confirm"]);
            Assert.Equal(expected.Order(StringComparer.Ordinal), documented.Keys.Order(StringComparer.Ordinal));

            foreach (var parameter in cmdlet.Parameters)
            {
                var help = documented[parameter.Name];
                var where = $"{name} -{parameter.Name}";
                Assert.False(string.IsNullOrWhiteSpace(Paras(help.Element(Maml + "description"))), $"{where}: no description.");
                Assert.Equal(parameter.IsMandatoryEverywhere.ToString().ToLowerInvariant(), (string?)help.Attribute("required"));
                Assert.Equal(parameter.CommonPosition?.ToString() ?? "named", (string?)help.Attribute("position"));
                Assert.Equal(PipelineInput(parameter), (string?)help.Attribute("pipelineInput"));
                Assert.Equal(parameter.SupportsWildcards.ToString().ToLowerInvariant(), (string?)help.Attribute("globbing"));
                Assert.Equal(parameter.Aliases.Count == 0 ? "none" : string.Join(", ", parameter.Aliases), (string?)help.Attribute("aliases"));
                var type = Text(help.Element(Dev + "type")?.Element(Maml + "name"));
                Assert.True(TypeNames(parameter.Type).Contains(type), $"{where}: help says type '{type}'; it is {parameter.Type}.");
            }
        }
    }

    [Fact]
    public void Syntax_lists_each_parameter_set_with_its_parameters()
    {
        var commands = Commands();
        foreach (var name in Exported)
        {
            var cmdlet = module.Cmdlet(name);
            var items = commands[name].Element(Command + "syntax")?.Elements(Command + "syntaxItem").ToList() ?? [];
            var sets = cmdlet.Parameters.SelectMany(p => p.Sets.Select(p.SetName)).Where(s => s != ParameterInfo.AllSets).Distinct().ToList();
            Assert.Equal(Math.Max(1, sets.Count), items.Count);
            var expected = cmdlet.Parameters.Select(p => p.Name).Concat(cmdlet.SupportsShouldProcess ? ["WhatIf", "Confirm"] : []).ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (var item in items)
            {
                Assert.Equal(name, Text(item.Element(Maml + "name")));
                foreach (var parameter in item.Elements(Command + "parameter").Select(p => Text(p.Element(Maml + "name"))))
                    Assert.True(expected.Contains(parameter), $"{name}: syntax names -{parameter}, which the cmdlet does not have.");
            }
            // A mandatory parameter of every set shows in every syntax line; one of a single set in exactly as many lines as it has sets.
            foreach (var parameter in cmdlet.Parameters.Where(p => p.IsMandatoryEverywhere))
            {
                var lines = items.Count(item => item.Elements(Command + "parameter").Any(p => Text(p.Element(Maml + "name")) == parameter.Name));
                var inAllSets = parameter.Sets.Any(set => parameter.SetName(set) == ParameterInfo.AllSets);
                Assert.True(lines == (inAllSets ? items.Count : parameter.Sets.Count()), $"{name}: mandatory -{parameter.Name} shows in {lines} of {items.Count} syntax lines.");
            }
        }
    }

    [Fact]
    public void Every_cmdlet_has_a_markdown_page_documenting_each_parameter()
    {
        foreach (var name in Exported)
        {
            var page = Path.Combine(module.RepoRoot, "docs", "cmdlets", name + ".md");
            Assert.True(File.Exists(page), $"{page} is missing.");
            var text = File.ReadAllText(page);
            Assert.Contains($"# {name}", text);
            foreach (var parameter in module.Cmdlet(name).Parameters)
                Assert.True(text.Contains($"### -{parameter.Name}\n", StringComparison.Ordinal) || text.Contains($"### -{parameter.Name}\r\n", StringComparison.Ordinal),
                    $"{page} does not document -{parameter.Name}.");
        }
    }

    [Fact]
    public void Every_ErrorId_the_pages_name_exists_in_the_engine()
    {
        var engine = module.Engine ?? throw new Xunit.Sdk.XunitException("PsBackup.Engine.dll is not in Dependencies/.");
        var literals = UserStrings(engine.Location);
        var documented = 0;
        foreach (var page in Directory.GetFiles(Path.Combine(module.RepoRoot, "docs", "cmdlets"), "*.md"))
        {
            var text = File.ReadAllText(page).Replace("\r\n", "\n");
            var start = text.IndexOf("\n### Errors\n", StringComparison.Ordinal);
            Assert.True(start >= 0, $"{Path.GetFileName(page)} has no '### Errors' section.");
            var end = text.IndexOf("\n## ", start, StringComparison.Ordinal);
            var errors = end < 0 ? text[start..] : text[start..end];
            foreach (Match match in ErrorIdRow().Matches(errors))
            {
                documented++;
                var id = match.Groups[1].Value;
                Assert.True(literals.Contains(id), $"{Path.GetFileName(page)} documents ErrorId '{id}', which PsBackup.Engine.dll never uses.");
            }
        }
        Assert.True(documented > 0, "No page documents any ErrorId (rows like | `ErrorId` | ... |).");
    }

    private static HashSet<string> UserStrings(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        var strings = new HashSet<string>(StringComparer.Ordinal);
        var handle = MetadataTokens.UserStringHandle(1);
        while (!handle.IsNil)
        {
            strings.Add(reader.GetUserString(handle));
            handle = reader.GetNextHandle(handle);
        }
        return strings;
    }

    private static string PipelineInput(ParameterInfo parameter) =>
        (parameter.IsByValue, parameter.IsByPropertyName) switch
        {
            (true, true) => "True (ByValue, ByPropertyName)",
            (true, false) => "True (ByValue)",
            (false, true) => "True (ByPropertyName)",
            _ => "False",
        };

    /// <summary>How help may name a parameter's type: short or full name; Nullable&lt;T&gt; as T.</summary>
    private static HashSet<string> TypeNames(Type type)
    {
        if (type.IsGenericType && type.GetGenericTypeDefinition().FullName == "System.Nullable`1")
            type = type.GetGenericArguments()[0];
        return new HashSet<string>(StringComparer.Ordinal) { type.Name, type.FullName! };
    }

    [GeneratedRegex(@"^\|\s*`([A-Za-z]+)`\s*\|", RegexOptions.Multiline)]
    private static partial Regex ErrorIdRow();
}
