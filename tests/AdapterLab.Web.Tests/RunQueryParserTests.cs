using AdapterLab.Web.Runs;

namespace AdapterLab.Web.Tests;

/// <summary>The runs table's filter language and column model: what parses to what, what is refused, and hostile input.</summary>
public sealed class RunQueryParserTests
{
    [Fact]
    public void The_issue_example_parses_into_four_conditions_joined_by_and()
    {
        var c = Assert.IsType<AllOf>(RunQueryParser.Parse("test.accuracy > 0.5 and method = lora and method.rank >= 8 and tag:demo"));
        Assert.Equal(4, c.Parts.Count);
        var metric = Assert.IsType<Comparison>(c.Parts[0]);
        Assert.Equal(new MetricField("test", null, null, "accuracy"), metric.Field);
        Assert.Equal((CompareOp.Greater, "0.5"), (metric.Op, metric.Value));
        var method = Assert.IsType<Comparison>(c.Parts[1]);
        Assert.Equal("method", Assert.IsType<BuiltinField>(method.Field).Info.Name);
        var rank = Assert.IsType<Comparison>(c.Parts[2]);
        Assert.Equal(["method", "rank"], Assert.IsType<SpecField>(rank.Field).Path);
        Assert.Equal(new HasTag("demo"), c.Parts[3]);
    }

    [Fact]
    public void Terms_side_by_side_are_anded_and_or_binds_looser_than_and()
    {
        var c = Assert.IsType<AnyOf>(RunQueryParser.Parse("tag:a tag:b or not (method = lora) probe"));
        var left = Assert.IsType<AllOf>(c.Parts[0]);
        Assert.Equal([new HasTag("a"), new HasTag("b")], left.Parts);
        var right = Assert.IsType<AllOf>(c.Parts[1]);
        Assert.IsType<Not>(right.Parts[0]);
        Assert.Equal(new NameContains("probe"), right.Parts[1]);
    }

    [Theory]
    [InlineData("test.fog.accuracy", null, "fog")]
    [InlineData("test.classification.accuracy", "classification", null)]
    [InlineData("test.classification.fog.accuracy", "classification", "fog")]
    [InlineData("val.depth.fog.rmse", "depth", "fog")]
    public void A_metric_names_its_task_and_domain_when_given(string text, string? task, string? domain)
    {
        var field = Assert.IsType<MetricField>(RunQueryParser.ParseField(text));
        Assert.Equal((task, domain), (field.Task, field.Domain));
        Assert.Equal(task is not null && domain is not null, field.IsExact);
    }

    [Fact]
    public void Quoted_values_keep_spaces_and_operators_and_a_quoted_phrase_alone_searches_names()
    {
        var c = Assert.IsType<AllOf>(RunQueryParser.Parse("name ~ \"lr ×0.1, seed 1\" 'a = b'"));
        Assert.Equal("lr ×0.1, seed 1", Assert.IsType<Comparison>(c.Parts[0]).Value);
        Assert.Equal(new NameContains("a = b"), c.Parts[1]);
    }

    [Theory]
    [InlineData("test.accuracy >", "needs a value")]
    [InlineData("(tag:a", "expected ')'")]
    [InlineData("tag:a)", "unexpected ')'")]
    [InlineData("colour = red", "unknown field 'colour'")]
    [InlineData("weights.x = 1", "unknown field 'weights.x'")]
    [InlineData("and tag:a", "expected a condition")]
    [InlineData("\"open", "is not closed")]
    [InlineData("tag:", "needs a tag name")]
    [InlineData("test.a.b.c.d = 1", "split[.task][.domain].metric")]
    public void Malformed_filters_are_refused_with_what_and_where(string text, string message)
    {
        var ex = Assert.Throws<RunQueryException>(() => RunQueryParser.Parse(text));
        Assert.Contains(message, ex.Message);
    }

    [Theory]
    [InlineData("params > many", "takes a number")]
    [InlineData("test.accuracy ~ 5", "is a number")]
    [InlineData("status = Sleeping", "status is one of")]
    [InlineData("tag > 3", "is a set")]
    [InlineData("name > b", "is text")]
    [InlineData("submitted > yesterday", "takes a date")]
    [InlineData("training.learningRate > fast", "needs a number")]
    public void Values_of_the_wrong_type_are_refused_when_translated(string text, string message)
    {
        var ex = Assert.Throws<RunQueryException>(() => RunQuerySql.Translate(RunQueryParser.Parse(text)!));
        Assert.Contains(message, ex.Message);
    }

    [Fact]
    public void Every_value_becomes_a_placeholder_and_never_sql_text()
    {
        var sql = RunQuerySql.Translate(RunQueryParser.Parse("name = \"x'; DROP TABLE experiments; --\" and training.optimizer = \"a\\\"b\" and test.accuracy >= 0.5")!);
        Assert.DoesNotContain("DROP", sql.Where);
        Assert.Contains("{0}::text", sql.Where);
        Assert.Equal("x'; DROP TABLE experiments; --", sql.Values[0]);
        // The spec predicate is one jsonpath value with the string JSON-escaped inside it.
        Assert.Equal("$.\"training\".\"optimizer\" ? (@ == \"a\\\"b\")", sql.Values[1]);
        Assert.Equal(0.5, sql.Values[^1]);
    }

    [Fact]
    public void Columns_need_exact_metrics_and_keep_their_order()
    {
        var columns = RunColumns.Parse("test.classification.fog.accuracy, training.learningRate,params,params");
        Assert.Equal(["test.classification.fog.accuracy", "training.learningRate", "params"], columns.Select(c => c.Text));
        Assert.Contains("needs the task and the domain", Assert.Throws<RunQueryException>(() => RunColumns.Parse("test.accuracy")).Message);
        Assert.Throws<RunQueryException>(() => RunColumns.Parse(string.Join(",", Enumerable.Range(0, 30).Select(i => $"training.x{i}"))));
    }

    [Fact]
    public void Limits_hold_on_length_conditions_and_depth()
    {
        Assert.Throws<RunQueryException>(() => RunQueryParser.Parse(new string('a', RunQueryParser.MaxLength + 1)));
        Assert.Throws<RunQueryException>(() => RunQueryParser.Parse(string.Join(" ", Enumerable.Range(0, 50).Select(i => $"tag:t{i}"))));
        Assert.Throws<RunQueryException>(() => RunQueryParser.Parse(new string('(', 40) + "tag:a" + new string(')', 40)));
        Assert.Throws<RunQueryException>(() => RunQueryParser.Parse(string.Concat(Enumerable.Repeat("not ", 40)) + "tag:a"));
    }

    [Fact]
    public void Csv_cells_are_quoted_and_formulas_defused()
    {
        Assert.Equal("\"a,b\"", RunsCsv.Cell("a,b"));
        Assert.Equal("\"say \"\"hi\"\"\"", RunsCsv.Cell("say \"hi\""));
        Assert.Equal("'=HYPERLINK(1)", RunsCsv.Cell("=HYPERLINK(1)"));
        Assert.Equal("-0.5", RunsCsv.Cell("-0.5"));
    }

    /// <summary>Hostile input: random text from the language's own alphabet never fails with anything but a refusal.</summary>
    [Fact]
    public void Random_filters_parse_or_are_refused_and_nothing_else()
    {
        string[] atoms = ["test.accuracy", "method", "method.rank", "training.learningRate", "tag:", "tag:x", "(", ")", "and", "or", "not",
            "=", "!=", ">", ">=", "<", "<=", "~", "!~", "\"", "'", "0.5", "-1e309", "NaN", "lora", "status", "Succeeded", "\\", "\u0000", "é", "{0}", ";", "$", "@"];
        var random = new Random(20261205);
        int parsed = 0;
        for (int i = 0; i < 5_000; i++)
        {
            var text = string.Join(random.Next(3) == 0 ? "" : " ", Enumerable.Range(0, random.Next(1, 12)).Select(_ => atoms[random.Next(atoms.Length)]));
            try
            {
                if (RunQueryParser.Parse(text) is { } c)
                {
                    var sql = RunQuerySql.Translate(c);
                    // Braces in the SQL are only placeholders, one per value.
                    Assert.Equal(sql.Values.Length, sql.Where.Split('{').Length - 1 - CountReuse(sql.Where));
                    parsed++;
                }
            }
            catch (RunQueryException) { }
        }
        Assert.InRange(parsed, 100, 4_900);
    }

    /// <summary>The domain condition names its one value twice.</summary>
    private static int CountReuse(string sql) => System.Text.RegularExpressions.Regex.Matches(sql, @"target_domains @> ARRAY\[\{").Count;
}
