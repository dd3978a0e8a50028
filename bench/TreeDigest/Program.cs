using PsBackup.Engine.Tests.Files;
using PsBackup.Engine.Tests.Support;

// tree-digest build DIR                      the tests' fidelity tree (Files/FidelityTree.cs), as root
// tree-digest compare ORIGINAL RESTORED      per aspect, how many paths differ (TSV on stdout), the first
//                                            differences on stderr; exit 1 when anything differs
switch (args)
{
    case ["build", var dir]:
        FidelityTree.Build(Path.GetFullPath(dir));
        return 0;
    case ["compare", var original, var restored]:
        var differences = RawTreeWalker.Compare(RawTreeWalker.Walk(Path.GetFullPath(original)), RawTreeWalker.Walk(Path.GetFullPath(restored)));
        string[] aspects = ["missing", "unexpected", "type", "mode", "owner", "mtime", "content", "symlink target", "xattrs", "hard links", "holes"];
        foreach (var aspect in aspects)
            Console.WriteLine($"{aspect}\t{differences.Count(d => d.Aspect == aspect)}");
        foreach (var difference in differences.Take(30))
            Console.Error.WriteLine(difference);
        return differences.Count == 0 ? 0 : 1;
    default:
        Console.Error.WriteLine("usage: tree-digest build DIR | tree-digest compare ORIGINAL RESTORED");
        return 2;
}
