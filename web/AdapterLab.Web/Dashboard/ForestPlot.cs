namespace AdapterLab.Web.Dashboard;

/// <summary>The forest plot's data (drawn by <c>Components/Shared/ForestPlotChart.razor</c> with the chart library).</summary>
public static class ForestPlot
{
    /// <summary>One configuration's difference against the baseline, its unadjusted 95 % interval and its verdict.</summary>
    public sealed record Line(string Label, double Difference, double? Lower, double? Upper, string Verdict, string Words);
}
