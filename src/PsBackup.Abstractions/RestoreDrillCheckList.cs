using System.Collections;
using System.Runtime.CompilerServices;

namespace PsBackup;

/// <summary>
/// A restore drill's checks, in order. Like <see cref="StringList"/>, its ToString() keeps
/// Export-Csv flat: "12 passed" or "11 passed, 1 failed: rows of public.orders" (the failed names,
/// not every check: a file tree drill checks thousands of files). PowerShell still enumerates it.
/// </summary>
[CollectionBuilder(typeof(RestoreDrillCheckList), nameof(Create))]
public sealed class RestoreDrillCheckList : IReadOnlyList<RestoreDrillCheck>
{
    private readonly RestoreDrillCheck[] _items;

    public RestoreDrillCheckList(IEnumerable<RestoreDrillCheck> items) => _items = [.. items];

    public static RestoreDrillCheckList Empty { get; } = new([]);

    public static RestoreDrillCheckList Create(ReadOnlySpan<RestoreDrillCheck> items) => new(items.ToArray());

    /// <summary>An array converts, as code written against the array this used to be assigns one.</summary>
    public static implicit operator RestoreDrillCheckList(RestoreDrillCheck[] items) => new(items);

    public int Count => _items.Length;

    /// <summary>As <see cref="Count"/>, for code written against the array this used to be.</summary>
    public int Length => _items.Length;

    public RestoreDrillCheck this[int index] => _items[index];

    public IEnumerator<RestoreDrillCheck> GetEnumerator() => ((IEnumerable<RestoreDrillCheck>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();

    public override string ToString()
    {
        var failed = _items.Where(c => !c.Passed).Select(c => c.Name).ToList();
        var passed = _items.Length - failed.Count;
        return failed.Count == 0 ? $"{passed} passed" : $"{passed} passed, {failed.Count} failed: {string.Join(", ", failed)}";
    }
}
