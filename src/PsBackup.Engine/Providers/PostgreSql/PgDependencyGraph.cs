using Npgsql;

namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>
/// Finds what the tables depend on by walking pg_depend (the catalog PostgreSQL itself uses for
/// DROP … CASCADE): from the tables, their defaults, constraints, indexes and triggers to types,
/// functions, sequences, schemas and extensions, through domains' base types and constraints,
/// array element types, composite types' attributes, range subtypes and functions' argument types.
/// An object that belongs to an extension stands for its extension (CREATE EXTENSION makes it).
/// Objects PostgreSQL creates with initdb (OID below 16384) exist everywhere and are not followed.
/// The result is in dependency order: whatever an object needs comes before it.
/// </summary>
internal sealed class PgDependencyGraph
{
    public sealed record Node(string Catalog, uint Oid);

    private readonly Dictionary<Node, HashSet<Node>> _edges = [];
    private readonly HashSet<Node> _recorded = [];
    private readonly Dictionary<Node, string> _described = [];

    /// <summary>The nodes to record, each after the ones it depends on.</summary>
    public List<Node> Ordered { get; private set; } = [];

    /// <summary>Objects the tables need that a restore cannot create (a user-defined operator class, collation …), described.</summary>
    public List<string> Unsupported { get; } = [];

    public static async Task<PgDependencyGraph> WalkAsync(NpgsqlConnection connection, uint[] tables, CancellationToken ct)
    {
        var graph = new PgDependencyGraph();
        var frontier = await StartAsync(connection, tables, ct).ConfigureAwait(false);
        var seen = new HashSet<Node>(frontier);
        while (frontier.Count > 0)
        {
            var next = new List<Node>();
            foreach (var edge in await EdgesAsync(connection, frontier, ct).ConfigureAwait(false))
            {
                if (edge.To.Catalog == "pg_class" && tables.Contains(edge.To.Oid)) continue; // a table of the collection
                if (!graph._edges.TryGetValue(edge.From, out var targets)) graph._edges[edge.From] = targets = [];
                targets.Add(edge.To);
                if (!seen.Add(edge.To)) continue;
                graph._described[edge.To] = edge.Description;
                switch (edge.Role)
                {
                    case Role.Record:
                        graph._recorded.Add(edge.To);
                        next.Add(edge.To);
                        break;
                    case Role.Through:
                        next.Add(edge.To);
                        break;
                    case Role.Unsupported:
                        graph.Unsupported.Add(edge.Description);
                        break;
                    case Role.Ignore:
                        break;
                }
            }
            frontier = next;
        }
        graph.Ordered = graph.Order();
        return graph;
    }

    /// <summary>The tables and everything hanging off them whose own dependencies matter.</summary>
    private static async Task<List<Node>> StartAsync(NpgsqlConnection connection, uint[] tables, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT 'pg_class', t FROM unnest(@oids) t
            UNION ALL SELECT 'pg_attrdef', oid FROM pg_attrdef WHERE adrelid = ANY(@oids)
            UNION ALL SELECT 'pg_constraint', oid FROM pg_constraint WHERE conrelid = ANY(@oids)
            UNION ALL SELECT 'pg_trigger', oid FROM pg_trigger WHERE tgrelid = ANY(@oids) AND NOT tgisinternal
            UNION ALL SELECT 'pg_class', indexrelid FROM pg_index WHERE indrelid = ANY(@oids)
            """, connection);
        command.Parameters.Add(PgCatalog.Oids("oids", tables));
        var nodes = new List<Node>();
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
            nodes.Add(new Node(reader.GetString(0), reader.GetFieldValue<uint>(1)));
        return nodes;
    }

    private enum Role { Record, Through, Unsupported, Ignore }

    private sealed record Edge(Node From, Node To, Role Role, string Description);

    /// <summary>
    /// The frontier's outgoing dependencies: normal ones, a type's internal ones (array → element,
    /// multirange → range), and two PostgreSQL keeps the other way round: a domain's constraints and
    /// a composite type's relation (whose columns depend on the attribute types).
    /// </summary>
    private static async Task<List<Edge>> EdgesAsync(NpgsqlConnection connection, List<Node> frontier, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"""
            WITH f(catalog, oid) AS (SELECT * FROM unnest(@catalogs::text[], @objects::oid[])),
            e AS (
              SELECT f.catalog, f.oid, d.refclassid, d.refobjid
              FROM f JOIN pg_depend d ON d.classid = f.catalog::regclass AND d.objid = f.oid
              WHERE d.refobjid >= {PgCatalog.FirstUserOid} AND (d.deptype = 'n' OR (d.deptype = 'i' AND f.catalog = 'pg_type'))
              UNION ALL
              SELECT f.catalog, f.oid, 'pg_constraint'::regclass, c.oid FROM f JOIN pg_constraint c ON f.catalog = 'pg_type' AND c.contypid = f.oid
              UNION ALL
              SELECT f.catalog, f.oid, 'pg_class'::regclass, t.typrelid FROM f JOIN pg_type t ON f.catalog = 'pg_type' AND t.oid = f.oid AND t.typrelid <> 0
            )
            SELECT e.catalog, e.oid, coalesce(x.catalog, e.refclassid::regclass::text), coalesce(x.oid, e.refobjid),
                   CASE WHEN x.oid IS NOT NULL THEN 'record'
                        WHEN e.refclassid IN ('pg_namespace'::regclass, 'pg_extension'::regclass) THEN 'record'
                        WHEN e.refclassid = 'pg_proc'::regclass THEN CASE WHEN p.prokind IN ('f', 'p', 'w') THEN 'record' ELSE 'unsupported' END
                        WHEN e.refclassid = 'pg_constraint'::regclass THEN 'through'
                        WHEN e.refclassid = 'pg_type'::regclass THEN
                          CASE WHEN t.typtype IN ('e', 'd', 'r') THEN 'record'
                               WHEN t.typtype = 'm' OR (t.typelem <> 0 AND t.typlen = -1) THEN 'through'
                               WHEN t.typtype = 'c' AND tr.relkind = 'c' THEN 'record'
                               WHEN t.typtype = 'c' THEN 'ignore' -- a table's row type: its table is no dependency to create
                               ELSE 'unsupported' END
                        WHEN e.refclassid = 'pg_class'::regclass THEN
                          CASE r.relkind WHEN 'S' THEN 'record' WHEN 'c' THEN 'through' ELSE 'ignore' END -- tables, indexes: foreign keys' targets
                        ELSE 'unsupported' END,
                   pg_describe_object(e.refclassid, e.refobjid, 0)
            FROM e
            LEFT JOIN LATERAL (SELECT 'pg_extension' AS catalog, x.refobjid AS oid FROM pg_depend x
                               WHERE x.classid = e.refclassid AND x.objid = e.refobjid AND x.deptype = 'e' LIMIT 1) x ON true
            LEFT JOIN pg_proc p ON e.refclassid = 'pg_proc'::regclass AND p.oid = e.refobjid
            LEFT JOIN pg_type t ON e.refclassid = 'pg_type'::regclass AND t.oid = e.refobjid
            LEFT JOIN pg_class tr ON tr.oid = t.typrelid
            LEFT JOIN pg_class r ON e.refclassid = 'pg_class'::regclass AND r.oid = e.refobjid
            """, connection);
        command.Parameters.AddWithValue("catalogs", frontier.Select(n => n.Catalog).ToArray());
        command.Parameters.Add(PgCatalog.Oids("objects", frontier.Select(n => n.Oid)));
        var edges = new List<Edge>();
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
            edges.Add(new Edge(new Node(reader.GetString(0), reader.GetFieldValue<uint>(1)), new Node(reader.GetString(2), reader.GetFieldValue<uint>(3)),
                reader.GetString(4) switch { "record" => Role.Record, "through" => Role.Through, "unsupported" => Role.Unsupported, _ => Role.Ignore },
                reader.GetString(5)));
        return edges;
    }

    /// <summary>Recorded nodes in dependency order (Kahn's algorithm); ties in discovery order, so the result is stable.</summary>
    private List<Node> Order()
    {
        var needs = _recorded.ToDictionary(n => n, n => RecordedDependencies(n, []));
        var ordered = new List<Node>();
        var done = new HashSet<Node>();
        // Schemas, then extensions, then the rest: CREATE EXTENSION … SCHEMA needs its schema, and nothing an extension makes needs our objects.
        var pending = _recorded.OrderBy(n => n.Catalog switch { "pg_namespace" => 0, "pg_extension" => 1, _ => 2 }).ToList();
        while (pending.Count > 0)
        {
            var ready = pending.FirstOrDefault(n => needs[n].All(d => done.Contains(d) || d == n))
                        ?? pending[0]; // a cycle (PostgreSQL allows few): take the first and let the restore say what fails
            ordered.Add(ready);
            done.Add(ready);
            pending.Remove(ready);
        }
        return ordered;
    }

    /// <summary>The recorded nodes a node depends on, directly or through nodes that are not recorded (array types, a domain's constraints …).</summary>
    private HashSet<Node> RecordedDependencies(Node node, HashSet<Node> visited)
    {
        var result = new HashSet<Node>();
        if (!_edges.TryGetValue(node, out var targets)) return result;
        foreach (var target in targets)
        {
            if (!visited.Add(target)) continue;
            if (_recorded.Contains(target)) result.Add(target);
            else result.UnionWith(RecordedDependencies(target, visited));
        }
        return result;
    }

    public string Describe(Node node) => _described.GetValueOrDefault(node, $"{node.Catalog} {node.Oid}");
}
