using System.Text.RegularExpressions;
using PsBackup.Engine.Providers;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Architecture;

/// <summary>
/// The engine's dependency direction, read from its source: Operations → capability interfaces ←
/// kinds. A kind lives in Providers/&lt;Kind&gt;/ and is named nowhere else in the engine but its
/// one registration line (Providers/EngineKinds.cs).
/// </summary>
public sealed partial class EngineShapeTests
{
    private static readonly string Engine = Path.Combine(CliProcess.RepoRoot(), "src", "PsBackup.Engine");
    private static readonly string Providers = Path.Combine(Engine, "Providers");
    private static readonly string Registration = Path.Combine(Providers, "EngineKinds.cs");

    /// <summary>The kinds' folders (Providers/* but the capability contracts).</summary>
    private static IEnumerable<string> KindFolders() =>
        Directory.GetDirectories(Providers).Where(d => Path.GetFileName(d) != "Capabilities");

    private static IEnumerable<string> SourceFiles(string folder) => Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories)
        .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"));

    private static string Relative(string file) => Path.GetRelativePath(Engine, file);

    [Fact]
    public void Every_kind_folder_holds_a_registered_kind_and_every_registered_kind_has_its_folder()
    {
        var folders = KindFolders().Select(Path.GetFileName).ToHashSet();
        Assert.NotEmpty(folders);
        foreach (var kind in EngineKinds.All.Where(k => k.GetType().Assembly == typeof(EngineKind).Assembly))
        {
            var folder = kind.GetType().Namespace!.Split('.')[3]; // PsBackup.Engine.Providers.<Folder>[.Sub]
            Assert.Contains(folder, folders);
        }
    }

    [Fact]
    public void Operations_and_the_other_engine_folders_never_name_a_kind()
    {
        // Each kind's folder and kind names (as written), and the words its engine is known by (in any case).
        var names = KindFolders().Select(f => Path.GetFileName(f)).Concat(EngineKinds.All.Where(k => k.GetType().Assembly == typeof(EngineKind).Assembly).Select(k => k.Name));
        var words = new[] { "Postgres", "PostgreSQL", "pg", "Redis", "Mongo", "MongoDB", "WAL", "LSN", "RDB", "oplog" };
        var pattern = new Regex(@"(?<![A-Za-z])(" + string.Join("|", names.Distinct().Select(Regex.Escape)) + @"|(?i:" + string.Join("|", words) + @"))(?![A-Za-z])");

        var offenders = new List<string>();
        foreach (var file in SourceFiles(Engine))
        {
            if (file == Registration || KindFolders().Any(folder => file.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
                continue;
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
                if (pattern.Match(lines[i]) is { Success: true } match)
                    offenders.Add($"{Relative(file)}:{i + 1}: '{match.Value}' in: {lines[i].Trim()}");
        }
        Assert.True(offenders.Count == 0, "A kind is named outside its folder:\n" + string.Join("\n", offenders));
    }

    [Fact]
    public void Kinds_never_import_operations_nor_each_other()
    {
        var folders = KindFolders().ToList();
        var offenders = new List<string>();
        foreach (var folder in folders)
        {
            var name = Path.GetFileName(folder);
            var others = folders.Select(Path.GetFileName).Where(n => n != name).ToList();
            var forbidden = new Regex(@"\bPsBackup\.Engine\.Operations\b|\bOperations\.[A-Z]" +
                                      (others.Count == 0 ? "" : @"|\bProviders\.(" + string.Join("|", others) + @")\b"));
            foreach (var file in SourceFiles(folder))
            {
                var lines = File.ReadAllLines(file);
                for (var i = 0; i < lines.Length; i++)
                    if (!IsComment(lines[i]) && forbidden.IsMatch(lines[i]))
                        offenders.Add($"{Relative(file)}:{i + 1}: {lines[i].Trim()}");
            }
        }
        Assert.True(offenders.Count == 0, "A kind imports what it must not:\n" + string.Join("\n", offenders));
    }

    [Fact]
    public void The_lower_layers_never_import_operations_or_kinds()
    {
        // Repository, Storage, Crypto, Retention and the capability contracts sit below Operations and the kinds.
        var lower = new[] { "Repository", "Storage", "Crypto", "Retention", "IO", "Errors", Path.Combine("Providers", "Capabilities") };
        var kinds = string.Join("|", KindFolders().Select(Path.GetFileName));
        var forbidden = new Regex(@"\bPsBackup\.Engine\.Operations\b|\bOperations\.[A-Z]|\bProviders\.(" + kinds + @")\b");
        var offenders = new List<string>();
        foreach (var folder in lower.Select(l => Path.Combine(Engine, l)).Where(Directory.Exists))
            foreach (var file in SourceFiles(folder))
            {
                var lines = File.ReadAllLines(file);
                for (var i = 0; i < lines.Length; i++)
                    if (!IsComment(lines[i]) && forbidden.IsMatch(lines[i]))
                        offenders.Add($"{Relative(file)}:{i + 1}: {lines[i].Trim()}");
            }
        Assert.True(offenders.Count == 0, "A lower layer imports an upper one:\n" + string.Join("\n", offenders));
    }

    [Fact]
    public void Storage_does_not_know_the_repository_layout()
    {
        var offenders = SourceFiles(Path.Combine(Engine, "Storage"))
            .SelectMany(file => File.ReadAllLines(file).Select((line, i) => (file, line, i)))
            .Where(x => !IsComment(x.line) && (RepositoryReference().IsMatch(x.line) || x.line.Contains("collections/", StringComparison.Ordinal)))
            .Select(x => $"{Relative(x.file)}:{x.i + 1}: {x.line.Trim()}")
            .ToList();
        Assert.True(offenders.Count == 0, "Storage refers to the repository's layout:\n" + string.Join("\n", offenders));
    }

    private static bool IsComment(string line) => line.TrimStart().StartsWith("//", StringComparison.Ordinal);

    [GeneratedRegex(@"\bPsBackup\.Engine\.Repository\b|\bRepository\.[A-Z]|\bRepositoryKeys\b")]
    private static partial Regex RepositoryReference();
}
