using System.Globalization;
using System.Text;

namespace PsBackup.Engine.Metrics;

/// <summary>
/// The Prometheus text exposition format (version 0.0.4): one HELP and TYPE line per metric
/// family, then its samples; label values escaped (\\, \", \n); numbers invariant, with
/// NaN and ±Inf spelled as Prometheus reads them. Families are written in the order first added.
/// </summary>
public sealed class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly Dictionary<string, Family> _families = new(StringComparer.Ordinal);
    private readonly List<Family> _order = [];

    /// <summary>Adds one sample of <paramref name="name"/> (declared with its help and type on first use).</summary>
    public void Add(string name, string type, string help, double value, params (string Name, string Value)[] labels)
    {
        if (!_families.TryGetValue(name, out var family))
        {
            _families[name] = family = new Family(name, type, help);
            _order.Add(family);
        }
        family.Samples.Add((labels, value));
    }

    public void Gauge(string name, string help, double value, params (string, string)[] labels) => Add(name, "gauge", help, value, labels);

    public void Counter(string name, string help, double value, params (string, string)[] labels) => Add(name, "counter", help, value, labels);

    /// <summary>Adds every sample of <paramref name="other"/> (a collection's metrics, once they were all read).</summary>
    public void Append(PrometheusText other)
    {
        foreach (var family in other._order)
            foreach (var (labels, value) in family.Samples)
                Add(family.Name, family.Type, family.Help, value, labels);
    }

    public int SampleCount => _order.Sum(f => f.Samples.Count);

    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var family in _order)
        {
            text.Append("# HELP ").Append(family.Name).Append(' ').Append(family.Help.Replace("\\", "\\\\").Replace("\n", "\\n")).Append('\n');
            text.Append("# TYPE ").Append(family.Name).Append(' ').Append(family.Type).Append('\n');
            foreach (var (labels, value) in family.Samples)
            {
                text.Append(family.Name);
                if (labels.Length > 0)
                {
                    text.Append('{');
                    for (var i = 0; i < labels.Length; i++)
                    {
                        if (i > 0) text.Append(',');
                        text.Append(labels[i].Name).Append("=\"").Append(Escape(labels[i].Value)).Append('"');
                    }
                    text.Append('}');
                }
                text.Append(' ').Append(Number(value)).Append('\n');
            }
        }
        return text.ToString();
    }

    public static string Escape(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    public static string Number(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        _ when double.IsNaN(value) => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    private sealed record Family(string Name, string Type, string Help)
    {
        public List<((string Name, string Value)[] Labels, double Value)> Samples { get; } = [];
    }
}
