using System.Globalization;
using System.Text;
using System.Text.Json;
using AdapterLab.Contracts.Lifecycle;

namespace AdapterLab.Web.Runs;

/// <summary>
/// Translates a <see cref="RunCondition"/> into a SQL condition over <c>experiments e</c> with every value a parameter:
/// metric conditions are <c>EXISTS</c> over <c>final_results</c> (its primary key answers them per run, the column index
/// <c>ix_final_results_column</c> when the metric is the selective part), spec conditions are SQL/JSON path predicates
/// (<c>spec_json @? jsonpath</c>: a field of the wrong type or missing simply does not match), tags use the GIN index.
/// A value of the wrong type for its field (a word for a number, a bad date) throws <see cref="RunQueryException"/>.
/// Values are <c>{n}</c> placeholders (with explicit casts) for <c>FromSqlRaw</c>, which makes fresh parameters per command.
/// </summary>
public sealed class RunQuerySql
{
    private readonly StringBuilder _sql = new();
    private readonly List<object> _values = [];

    /// <summary>The condition, values as <c>{0}</c>, <c>{1}</c>, … (a format string: no other braces).</summary>
    public string Where => _sql.ToString();
    public object[] Values => [.. _values];

    public static RunQuerySql Translate(RunCondition condition)
    {
        var t = new RunQuerySql();
        t.Emit(condition);
        return t;
    }

    private string Parameter(object value, string sqlType)
    {
        _values.Add(value);
        return "{" + (_values.Count - 1).ToString(CultureInfo.InvariantCulture) + "}::" + sqlType;
    }

    private void Emit(RunCondition c)
    {
        switch (c)
        {
            case AllOf all: Join(all.Parts, " AND "); break;
            case AnyOf any: Join(any.Parts, " OR "); break;
            case Not not: _sql.Append("NOT ("); Emit(not.Inner); _sql.Append(')'); break;
            case HasTag tag: _sql.Append("e.tags @> ARRAY[").Append(Parameter(tag.Tag, "text")).Append("]::text[]"); break;
            case NameContains text: _sql.Append("e.name ILIKE ").Append(Parameter(Like(text.Text), "text")); break;
            case Comparison cmp: EmitComparison(cmp); break;
            default: throw new ArgumentOutOfRangeException(nameof(c), c, "unknown condition");
        }
    }

    private void Join(IReadOnlyList<RunCondition> parts, string op)
    {
        _sql.Append('(');
        for (int i = 0; i < parts.Count; i++)
        {
            if (i > 0) _sql.Append(op);
            Emit(parts[i]);
        }
        _sql.Append(')');
    }

    private void EmitComparison(Comparison c)
    {
        switch (c.Field)
        {
            case BuiltinField b: EmitBuiltin(b.Info, c); break;
            case MetricField m: EmitMetric(m, c); break;
            case SpecField s: EmitSpec(s, c); break;
        }
    }

    /// <summary>SQL for a built-in field's value (the domain field is a condition of its own).</summary>
    public static string ColumnSql(BuiltinFieldInfo f) => f.Name switch
    {
        "trainSeconds" => "extract(epoch FROM (e.finished_at - e.started_at))",
        _ => "e." + f.Column,
    };

    private void EmitBuiltin(BuiltinFieldInfo f, Comparison c)
    {
        string column = ColumnSql(f);
        switch (f.Kind)
        {
            case BuiltinKind.Text:
            {
                var value = c.Value;
                if (f.Name == "status" && c.Op is CompareOp.Equal or CompareOp.NotEqual)
                {
                    if (!Enum.TryParse<ExperimentStatus>(value, ignoreCase: true, out var status) || int.TryParse(value, out _))
                        throw Wrong(c, $"status is one of {string.Join(", ", Enum.GetNames<ExperimentStatus>())}");
                    value = status.ToString();
                }
                switch (c.Op)
                {
                    case CompareOp.Equal: _sql.Append(column).Append(" = ").Append(Parameter(value, "text")); break;
                    case CompareOp.NotEqual: _sql.Append(column).Append(" IS DISTINCT FROM ").Append(Parameter(value, "text")); break;
                    case CompareOp.Contains: _sql.Append(column).Append(" ILIKE ").Append(Parameter(Like(value), "text")); break;
                    case CompareOp.NotContains: _sql.Append("coalesce(").Append(column).Append(", '') NOT ILIKE ").Append(Parameter(Like(value), "text")); break;
                    default: throw Wrong(c, $"{f.Name} is text: use =, !=, ~ (contains) or !~");
                }
                break;
            }
            case BuiltinKind.Array:
            {
                if (c.Op is not (CompareOp.Equal or CompareOp.NotEqual or CompareOp.Contains or CompareOp.NotContains))
                    throw Wrong(c, $"{f.Name} is a set: use = (has), != (has not), ~ or !~");
                if (c.Op is CompareOp.NotEqual or CompareOp.NotContains) _sql.Append("NOT ");
                if (c.Op is CompareOp.Equal or CompareOp.NotEqual)
                {
                    var p = Parameter(c.Value, "text");
                    _sql.Append(f.Name == "domain" ? $"(e.source_domain = {p} OR e.target_domains @> ARRAY[{p}])" : $"{column} @> ARRAY[{p}]");
                }
                else
                {
                    var p = Parameter(Like(c.Value), "text");
                    var set = f.Name == "domain" ? "e.target_domains || e.source_domain" : column;
                    _sql.Append($"EXISTS (SELECT 1 FROM unnest({set}) x WHERE x ILIKE {p})");
                }
                break;
            }
            case BuiltinKind.Number:
                _sql.Append(column).Append(Operator(c)).Append(Parameter(Number(c), "double precision"));
                break;
            case BuiltinKind.Time:
                _sql.Append(column).Append(Operator(c)).Append(Parameter(Time(c), "timestamptz"));
                break;
        }
    }

    private void EmitMetric(MetricField m, Comparison c)
    {
        double value = Number(c);
        _sql.Append("EXISTS (SELECT 1 FROM final_results r WHERE r.experiment_id = e.id AND r.split = ").Append(Parameter(m.Split, "text"));
        if (m.Task is not null) _sql.Append(" AND r.task = ").Append(Parameter(m.Task, "text"));
        if (m.Domain is not null) _sql.Append(" AND r.domain = ").Append(Parameter(m.Domain, "text"));
        _sql.Append(" AND r.metric = ").Append(Parameter(m.Metric, "text"));
        _sql.Append(" AND r.value").Append(Operator(c)).Append(Parameter(value, "double precision")).Append(')');
    }

    private void EmitSpec(SpecField s, Comparison c)
    {
        // The path and the value go into one jsonpath parameter: names quoted, strings JSON-escaped, numbers invariant.
        var path = new StringBuilder("$");
        foreach (var part in s.Path) path.Append('.').Append(Json(part));
        string predicate;
        if (c.Op is CompareOp.Contains or CompareOp.NotContains)
            predicate = $"@ like_regex {Json(System.Text.RegularExpressions.Regex.Escape(c.Value))} flag \"i\"";
        else
        {
            string literal;
            if (!c.Quoted && double.TryParse(c.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
                literal = number.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
            else if (!c.Quoted && c.Value is "true" or "false" or "null") literal = c.Value;
            else if (c.Op is CompareOp.Equal or CompareOp.NotEqual) literal = Json(c.Value);
            else throw Wrong(c, $"{s.Text} {OpText(c.Op)} needs a number");
            predicate = $"@ {(c.Op is CompareOp.NotEqual ? "==" : JsonPathOperator(c.Op))} {literal}";
        }
        bool negate = c.Op is CompareOp.NotEqual or CompareOp.NotContains;
        _sql.Append(negate ? "NOT (" : "(").Append("e.spec_json @? ").Append(Parameter($"{path} ? ({predicate})", "jsonpath")).Append(')');
    }

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A jsonpath string literal: JSON's escapes (<c>\"</c>, <c>\\</c>, <c>\uXXXX</c> for control characters).</summary>
    private static string Json(string s) => JsonSerializer.Serialize(s, Relaxed);

    private static string JsonPathOperator(CompareOp op) => op switch
    {
        CompareOp.Equal => "==",
        CompareOp.Greater => ">",
        CompareOp.GreaterOrEqual => ">=",
        CompareOp.Less => "<",
        CompareOp.LessOrEqual => "<=",
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    private static string Operator(Comparison c) => c.Op switch
    {
        CompareOp.Equal => " = ",
        CompareOp.NotEqual => " <> ",
        CompareOp.Greater => " > ",
        CompareOp.GreaterOrEqual => " >= ",
        CompareOp.Less => " < ",
        CompareOp.LessOrEqual => " <= ",
        _ => throw Wrong(c, $"{c.Field.Text} is a number: compare it with =, !=, >, >=, < or <="),
    };

    private static string OpText(CompareOp op) => op switch
    {
        CompareOp.Equal => "=", CompareOp.NotEqual => "!=", CompareOp.Greater => ">", CompareOp.GreaterOrEqual => ">=",
        CompareOp.Less => "<", CompareOp.LessOrEqual => "<=", CompareOp.Contains => "~", _ => "!~",
    };

    private static double Number(Comparison c) =>
        double.TryParse(c.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
            ? v : throw Wrong(c, $"{c.Field.Text} takes a number, not '{c.Value}'");

    private static DateTimeOffset Time(Comparison c) =>
        DateTimeOffset.TryParse(c.Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)
            ? t : throw Wrong(c, $"{c.Field.Text} takes a date (2026-12-01) or an ISO instant, not '{c.Value}'");

    private static RunQueryException Wrong(Comparison c, string message) => new(message, 0);

    /// <summary>A contains pattern: LIKE's wildcards in the text escaped.</summary>
    public static string Like(string text) => "%" + text.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%";
}
