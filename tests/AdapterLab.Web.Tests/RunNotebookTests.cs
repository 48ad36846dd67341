using AdapterLab.Web.Dashboard;
using AdapterLab.Web.Experiments;

namespace AdapterLab.Web.Tests;

/// <summary>The lab notebook's pure parts: safe markdown, edit validation, the wall clock of a step, system charts per attempt.</summary>
public sealed class RunNotebookTests
{
    [Fact]
    public void Notes_render_markdown_and_never_run_html_or_script_links()
    {
        var html = NotesMarkdown.ToHtml("# Result\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done\n\n<script>alert(1)</script> <img src=x onerror=alert(2)>\n\n"
            + "[ok](https://example.org/run) [rel](/experiments) [bad](javascript:alert(3)) [tab](java\tscript:alert(4)) [data](data:text/html;base64,PHNjcmlwdD4=) ![i](JAVASCRIPT:alert(5))");
        Assert.Contains("<h1", html);
        Assert.Contains("<table>", html);
        Assert.Contains("checkbox", html);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("<img src=x", html);
        Assert.Contains("&lt;script&gt;", html);
        Assert.Contains("href=\"https://example.org/run\"", html);
        Assert.Contains("href=\"/experiments\"", html);
        Assert.DoesNotContain("javascript:", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("data:text", html);
        Assert.Equal("", NotesMarkdown.ToHtml("  "));
    }

    [Theory]
    [InlineData("https://x.org", true)]
    [InlineData("mailto:a@b.org", true)]
    [InlineData("/experiments?q=a:b", true)]
    [InlineData("#section", true)]
    [InlineData("JavaScript:alert(1)", false)]
    [InlineData(" javascript :alert(1)", false)]
    [InlineData("vbscript:x", false)]
    [InlineData("data:image/png;base64,AAAA", false)]
    public void Only_web_mail_and_relative_addresses_are_kept(string url, bool safe) => Assert.Equal(safe, NotesMarkdown.IsSafe(url));

    [Fact]
    public void Edits_are_validated_field_by_field()
    {
        Assert.Empty(ExperimentNotebook.Validate(new("name", ["a", "b"], "notes")));
        Assert.Empty(ExperimentNotebook.Validate(new()));
        var errors = ExperimentNotebook.Validate(new(new string('n', 201), ["ok", "", new string('t', 65), "tab\there"], new string('x', 50_001)));
        Assert.Equal(["name", "notes", "tags[1]", "tags[2]", "tags[3]"], errors.Keys.Order());
        Assert.Contains("tags", ExperimentNotebook.Validate(new(Tags: Enumerable.Range(0, 33).Select(i => $"t{i}").ToList())).Keys);
        Assert.Contains("name", ExperimentNotebook.Validate(new(Name: "line\nbreak")).Keys);
    }

    [Fact]
    public void A_step_between_two_samples_gets_an_interpolated_time_and_none_outside()
    {
        var clock = WallClock.Of([(10L, 1_000.0), (30L, 1_010.0), (20L, 1_005.0)]);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_000), clock.At(10));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_002_500), clock.At(15));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_010), clock.At(30));
        Assert.Null(clock.At(9));
        Assert.Null(clock.At(31));
        Assert.True(WallClock.Of(Array.Empty<(long, double)>()).IsEmpty);
    }

    [Fact]
    public void System_metrics_are_charted_per_attempt_apart_from_the_curves()
    {
        MetricPointView P(string name, long step, int attempt, double value, string split = "system") => new(name, split, "", "", step, attempt, value);
        var points = new[]
        {
            P("wall_clock", 2, 1, 1_000), P("step_seconds", 2, 1, 0.5), P("memory_mib", 2, 1, 300),
            P("wall_clock", 6, 2, 1_100), P("step_seconds", 6, 2, 0.25), P("memory_mib", 6, 2, 320),
            new MetricPointView("loss", "train", "classification", "synthetic", 2, 1, 2.0),
        };
        var system = CurveChart.ByAttempt(points);
        Assert.Equal(["memory_mib", "step_seconds"], system.Select(c => c.Metric));
        var step = system[1];
        Assert.Equal(["attempt 1", "attempt 2"], step.Series.Select(s => s.Name));
        Assert.Equal([0.5, null], step.Series[0].Values);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_100), step.Series[1].Times![1]);
        Assert.Null(step.Series[1].Times![0]);

        // The curves leave the system split out, and carry the wall clock of their steps when asked.
        var clock = WallClock.Of(points);
        var curves = CurveChart.Build(points.Select(p => ((string?)null, p)), (_, s) => clock.At(s));
        Assert.Equal(["loss"], curves.Select(c => c.Metric));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_000), curves[0].Series[0].Times![0]);
    }
}

/// <summary>Parallel coordinates on the compare page: an axis per differing spec field, log axes for wide ranges, the metric last.</summary>
public sealed class ParallelCoordinatesTests
{
    private static CompareExperiment Run(double lr, string method, int seed, long trainable, double? accuracy) => new(
        Guid.NewGuid(), $"{method} {lr}", "adapt", method, "Succeeded", $"{method}{lr}", seed, trainable,
        $$$"""{"name": "{{{method}}} {{{lr}}}", "tags": ["t{{{seed}}}"], "method": {"name": "{{{method}}}"}, "training": {"learningRate": {{{lr.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}, "seed": {{{seed}}}}}""", true,
        accuracy is { } a ? [new FinalResultView("test", "classification", "fog", "accuracy", a)] : []);

    [Fact]
    public void Differing_fields_become_axes_with_log_scales_for_wide_ranges_and_the_metric_last()
    {
        var runs = new[] { Run(1e-4, "lora", 1, 100, 0.5), Run(1e-2, "lora", 2, 100, 0.7), Run(1e-3, "bitfit", 1, 40, 0.6), Run(1e-3, "bitfit", 3, 40, null) };
        Assert.Equal(["classification · fog · accuracy"], ParallelCoordinates.Metrics(runs, "test"));
        var axes = ParallelCoordinates.Build(runs, "test", "classification · fog · accuracy");
        Assert.Equal(["method.name", "training.learningRate (log)", "training.seed", "trainable parameters", "test classification · fog · accuracy"], axes.Select(a => a.Label));
        Assert.Equal(["lora", "bitfit"], axes[0].TickText);
        Assert.Equal([0.0, 0.0, 1.0], axes[0].Values);
        Assert.Equal(-4, axes[1].Values[0]!.Value, 9);
        Assert.Equal(["0.0001", "0.001", "0.01"], axes[1].TickText);
        Assert.Null(axes[2].TickText); // seeds 1 and 2: a linear axis
        Assert.Equal([0.5, 0.7, 0.6], axes[^1].Values); // the run without the metric is left out: a line needs every axis
        Assert.All(axes, a => Assert.DoesNotContain(null, a.Values));
        Assert.Empty(ParallelCoordinates.Build(runs[2..], "test", "classification · fog · accuracy"));
        Assert.Empty(ParallelCoordinates.Build(runs, "test", null));

        // A field some specs leave at its default is categorical: numbers first, in order, then "(default)".
        var partial = new[] { runs[0], runs[1] with { SpecJson = """{"training": {"seed": 2}}""" } };
        var lr = ParallelCoordinates.Build(partial, "test", "classification · fog · accuracy").Single(a => a.Label.StartsWith("training.learningRate"));
        Assert.Equal(["0.0001", "(default)"], lr.TickText);
    }
}
