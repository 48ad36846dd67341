using AdapterLab.Web.Components.Shared;
using AdapterLab.Web.Dashboard;
using AdapterLab.Web.Experiments;
using Bunit;
using MudBlazor.Services;
using Microsoft.Extensions.DependencyInjection;

namespace AdapterLab.Web.Tests;

public sealed class ChartShapingTests : MudTestContext
{
    [Fact]
    public void Curves_share_one_step_axis_per_metric_with_gaps_where_a_series_has_no_point()
    {
        var points = new[]
        {
            new MetricPointView("loss", "train", "classification", "synthetic", 1, 1, 2.0),
            new MetricPointView("loss", "train", "classification", "synthetic", 2, 1, 1.5),
            new MetricPointView("accuracy", "validation", "classification", "synthetic", 2, 1, 0.4),
            new MetricPointView("accuracy", "validation", "classification", "fog", 2, 1, 0.3),
            new MetricPointView("loss", "train", "classification", "synthetic", 3, 1, 1.0),
            new MetricPointView("accuracy", "validation", "classification", "synthetic", 4, 1, 0.6),
        }.Select(p => ((string?)null, p));
        var charts = CurveChart.Build(points);
        Assert.Equal(["loss", "accuracy"], charts.Select(c => c.Metric));
        var accuracy = charts[1];
        Assert.Equal([2L, 4L], accuracy.Steps);
        Assert.Equal(["validation · classification · fog", "validation · classification · synthetic"], accuracy.Series.Select(s => s.Name));
        Assert.Equal([0.3, null], accuracy.Series[0].Values);
    }

    [Fact]
    public void Compared_experiments_get_their_own_series()
    {
        var charts = CurveChart.Build([
            ("A", new MetricPointView("loss", "train", "classification", "synthetic", 1, 1, 2.0)),
            ("B", new MetricPointView("loss", "train", "classification", "synthetic", 1, 1, 3.0)),
        ]);
        Assert.Equal(["A: train · classification · synthetic", "B: train · classification · synthetic"], charts.Single().Series.Select(s => s.Name));
    }

    [Fact]
    public void The_heatmap_component_draws_one_row_per_task()
    {
        var map = AffinityHeatmap.From(new AffinityView(5, "troa", ["segmentation", "depth", "normals"], [1, 0.2, 0.3, 0.4, 1, 0.6, 0.7, 0.8, 1]));
        var cut = Render<AffinityHeatmapView>(p => p.Add(x => x.Map, map).Add(x => x.Title, "troa"));
        // The diagonal is listed apart; the chart's colour range is the largest off-diagonal magnitude, not the diagonal's 1.
        Assert.Equal("diagonal (a task with itself): segmentation 1.00 · depth 1.00 · normals 1.00", cut.Find("[data-testid='affinity-diagonal']").TextContent.Trim());
        Assert.Equal(0.8, map.OffDiagonalRange(), 12);
        var signed = AffinityHeatmap.From(new AffinityView(5, "tag", ["a", "b"], [1, -0.27, 0.03, 1]));
        Assert.Equal(0.27, signed.OffDiagonalRange(), 12);
    }
}
