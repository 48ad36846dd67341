using Plotly.Blazor;

namespace AdapterLab.Web.Dashboard;

/// <summary>
/// What every Plotly chart shares so it reads in light and dark mode alike: transparent paper and plot (the page's
/// colour shows through), mid-grey text and faint grid lines.
/// </summary>
public static class PlotTheme
{
    public static Layout Apply(Layout layout)
    {
        layout.PaperBgColor = "rgba(0,0,0,0)";
        layout.PlotBgColor = "rgba(0,0,0,0)";
        layout.Font = new Plotly.Blazor.LayoutLib.Font { Color = "#8a8a8a" };
        foreach (var x in layout.XAxis ?? []) x.GridColor ??= "rgba(128,128,128,0.25)";
        foreach (var y in layout.YAxis ?? []) y.GridColor ??= "rgba(128,128,128,0.25)";
        return layout;
    }
}
