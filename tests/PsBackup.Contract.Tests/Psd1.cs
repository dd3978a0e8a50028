using System.Globalization;
using System.Text;

namespace PsBackup.Contract.Tests;

/// <summary>
/// A small parser for the data language of module manifests: a hashtable of quoted strings,
/// numbers, $true/$false/$null, @(arrays), bare comma lists and nested @{hashtables}, with
/// # and &lt;# #&gt; comments. Enough to read PsBackup.psd1 the way Import-Module would.
/// </summary>
public sealed class Psd1
{
    private readonly string _text;
    private int _pos;

    private Psd1(string text) => _text = text;

    public IReadOnlyDictionary<string, object?> Values { get; private set; } = new Dictionary<string, object?>();

    public static Psd1 Parse(string text)
    {
        var parser = new Psd1(text);
        parser.SkipTrivia(newlines: true);
        if (parser.Peek() == '\uFEFF') parser._pos++;
        parser.SkipTrivia(newlines: true);
        parser.Values = parser.ParseValue() as Dictionary<string, object?>
                        ?? throw new FormatException("A module manifest is a hashtable: @{ ... }.");
        parser.SkipTrivia(newlines: true);
        if (parser._pos < text.Length)
            throw parser.Error("text after the manifest's closing brace");
        return parser;
    }

    public bool Has(string key) => Values.ContainsKey(key);

    /// <summary>A key holding one string (or number); null when absent.</summary>
    public string? Scalar(string key) =>
        Values.TryGetValue(key, out var value)
            ? value as string ?? throw new FormatException($"Manifest key '{key}' is not a single value.")
            : null;

    /// <summary>A key holding an array of strings (a single string counts as a one-item array); null when absent.</summary>
    public IReadOnlyList<string>? Array(string key) => Values.TryGetValue(key, out var value)
        ? value switch
        {
            null => [],
            string s => [s],
            List<object?> items => items.Select(i => i as string ?? throw new FormatException($"Manifest key '{key}' holds a non-string item.")).ToList(),
            _ => throw new FormatException($"Manifest key '{key}' is not an array of strings."),
        }
        : null;

    public IReadOnlyDictionary<string, object?>? Table(string key) =>
        Values.TryGetValue(key, out var value) ? value as Dictionary<string, object?> : null;

    private char Peek(int ahead = 0) => _pos + ahead < _text.Length ? _text[_pos + ahead] : '\0';

    private FormatException Error(string what)
    {
        var line = _text.Take(_pos).Count(c => c == '\n') + 1;
        return new FormatException($"psd1 line {line}: {what}.");
    }

    private void SkipTrivia(bool newlines)
    {
        while (_pos < _text.Length)
        {
            var c = Peek();
            if (c is ' ' or '\t' or '\uFEFF' || (newlines && c is '\r' or '\n' or ';'))
                _pos++;
            else if (c == '`' && Peek(1) is '\r' or '\n')
                _pos += 2; // line continuation
            else if (c == '<' && Peek(1) == '#')
            {
                var end = _text.IndexOf("#>", _pos + 2, StringComparison.Ordinal);
                if (end < 0) throw Error("unterminated <# comment");
                _pos = end + 2;
            }
            else if (c == '#')
            {
                while (_pos < _text.Length && Peek() is not ('\r' or '\n')) _pos++;
            }
            else
                break;
        }
    }

    private object? ParseValue()
    {
        SkipTrivia(newlines: true);
        var c = Peek();
        if (c == '@' && Peek(1) == '{') { _pos += 2; return ParseHashtable(); }
        if (c == '@' && Peek(1) == '(') { _pos += 2; return ParseArray(); }
        if (c is '\'' or '"') return ParseString(c);
        if (c == '$')
        {
            var word = ParseBareWord();
            return word.ToLowerInvariant() switch
            {
                "$true" => "True",
                "$false" => "False",
                "$null" => null,
                _ => throw Error($"variable {word} is not allowed in a manifest"),
            };
        }
        if (c is '\0' or ')' or '}' or ',' or '=') throw Error($"expected a value, found '{c}'");
        return ParseBareWord();
    }

    private Dictionary<string, object?> ParseHashtable()
    {
        var table = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        while (true)
        {
            SkipTrivia(newlines: true);
            if (Peek() == '}') { _pos++; return table; }
            if (_pos >= _text.Length) throw Error("unterminated @{");
            var key = Peek() is '\'' or '"' ? ParseString(Peek()) : ParseBareWord();
            SkipTrivia(newlines: false);
            if (Peek() != '=') throw Error($"expected '=' after key '{key}'");
            _pos++;
            var value = ParseValue();
            SkipTrivia(newlines: false);
            if (Peek() == ',')
            {
                var list = new List<object?> { value };
                while (Peek() == ',')
                {
                    _pos++;
                    list.Add(ParseValue());
                    SkipTrivia(newlines: false);
                }
                value = list;
            }
            if (!table.TryAdd(key, value)) throw Error($"key '{key}' appears twice");
        }
    }

    private List<object?> ParseArray()
    {
        var items = new List<object?>();
        while (true)
        {
            SkipTrivia(newlines: true);
            if (Peek() == ',') { _pos++; continue; }
            if (Peek() == ')') { _pos++; return items; }
            if (_pos >= _text.Length) throw Error("unterminated @(");
            items.Add(ParseValue());
        }
    }

    private string ParseString(char quote)
    {
        var sb = new StringBuilder();
        _pos++;
        while (true)
        {
            if (_pos >= _text.Length) throw Error("unterminated string");
            var c = _text[_pos++];
            if (c == quote)
            {
                if (Peek() == quote) { sb.Append(quote); _pos++; continue; }
                return sb.ToString();
            }
            if (quote == '"' && c == '$' && Peek() is '(' or '{' || quote == '"' && c == '$' && char.IsLetter(Peek()))
                throw Error("expandable strings are not allowed in a manifest");
            if (quote == '"' && c == '`' && _pos < _text.Length)
            {
                sb.Append(_text[_pos++]);
                continue;
            }
            sb.Append(c);
        }
    }

    private string ParseBareWord()
    {
        var start = _pos;
        while (_pos < _text.Length && !char.IsWhiteSpace(Peek()) && Peek() is not (';' or ',' or ')' or '}' or '=' or '#'))
            _pos++;
        if (_pos == start) throw Error("expected a word");
        var word = _text[start.._pos];
        return double.TryParse(word, NumberStyles.Float, CultureInfo.InvariantCulture, out _) || word.StartsWith('$') || IsIdentifier(word)
            ? word
            : throw Error($"'{word}' is not a value a manifest may hold");
    }

    private static bool IsIdentifier(string word) => word.All(c => char.IsLetterOrDigit(c) || c is '_' or '-' or '.');
}
