using System.Collections;
using System.Runtime.CompilerServices;

namespace PsBackup;

/// <summary>
/// A read-only list of strings (tags, reasons) whose ToString() joins them with ", ". Export-Csv
/// and ConvertTo-Csv write a property with ToString(), so a string[] gave "System.String[]"; this
/// gives "a, b". PowerShell still enumerates it: -contains, -join, pipelines and ConvertTo-Json
/// (an array) work as on an array.
/// </summary>
[CollectionBuilder(typeof(StringList), nameof(Create))]
public sealed class StringList : IReadOnlyList<string>
{
    private readonly string[] _items;

    public StringList(IEnumerable<string> items) => _items = [.. items];

    public static StringList Empty { get; } = new([]);

    public static StringList Create(ReadOnlySpan<string> items) => new(items.ToArray());

    public static implicit operator StringList(string[] items) => new(items);

    public int Count => _items.Length;

    public string this[int index] => _items[index];

    public IEnumerator<string> GetEnumerator() => ((IEnumerable<string>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();

    public override string ToString() => string.Join(", ", _items);
}
