using ScottPlot;

namespace AdapterLab.Bench.Runner;

/// <summary>
/// The reports' figures as PNG images (ScottPlot, a maintained plotting library), written beside the report so its
/// Markdown and the README show them. Each series is points with optional 95 % intervals as error bars; a log-scaled
/// x axis plots log₁₀ x and labels the ticks with x itself.
/// </summary>
public static class ReportCharts
{
    public sealed record Series(string Label, IReadOnlyList<double> X, IReadOnlyList<double> Y, IReadOnlyList<double>? Lower = null, IReadOnlyList<double>? Upper = null, bool Line = true);

    /// <summary>A horizontal reference line (a floor, chance).</summary>
    public sealed record Reference(string Label, double Y);

    public static void Write(string path, string title, string xLabel, string yLabel, IReadOnlyList<Series> series, bool logX,
        IReadOnlyList<Reference>? references = null, int width = 900, int height = 560)
    {
        var plot = new Plot();
        double X(double x) => logX ? Math.Log10(x) : x;
        var palette = new ScottPlot.Palettes.Category10();
        int i = 0;
        foreach (var s in series)
        {
            var color = palette.GetColor(i++);
            var xs = s.X.Select(X).ToArray();
            var ys = s.Y.ToArray();
            var scatter = plot.Add.Scatter(xs, ys, color);
            scatter.LegendText = s.Label;
            scatter.LineWidth = s.Line ? 2 : 0;
            scatter.MarkerSize = 7;
            if (s.Lower is not null && s.Upper is not null)
            {
                var low = ys.Zip(s.Lower).Select(p => Math.Max(0, p.First - p.Second)).ToArray();
                var high = ys.Zip(s.Upper).Select(p => Math.Max(0, p.Second - p.First)).ToArray();
                var bars = new ScottPlot.Plottables.ErrorBar(xs, ys, null, null, low, high) { Color = color };
                plot.Add.Plottable(bars);
            }
        }
        ScottPlot.Color[] referenceColors = [Colors.Gray, Colors.Black, Colors.Brown];
        foreach (var (r, k) in (references ?? []).Select((r, k) => (r, k)).Where(x => double.IsFinite(x.r.Y)))
        {
            var line = plot.Add.HorizontalLine(r.Y);
            line.LinePattern = k % 2 == 0 ? LinePattern.Dashed : LinePattern.Dotted;
            line.Color = referenceColors[k % referenceColors.Length];
            line.LegendText = r.Label;
        }
        if (logX)
        {
            var ticks = new ScottPlot.TickGenerators.NumericAutomatic
            {
                LabelFormatter = v => Math.Pow(10, v).ToString("G3", System.Globalization.CultureInfo.InvariantCulture),
                IntegerTicksOnly = true,
            };
            plot.Axes.Bottom.TickGenerator = ticks;
        }
        plot.Title(title);
        plot.XLabel(xLabel + (logX ? " (log scale)" : ""));
        plot.YLabel(yLabel);
        plot.ShowLegend(Alignment.LowerRight);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        plot.SavePng(path, width, height);
    }
}
