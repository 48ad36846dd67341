using System.Globalization;
using System.Net;
using System.Text;

namespace AdapterLab.Web.Dashboard;

/// <summary>
/// A forest plot as SVG: each configuration's difference against the baseline with its (unadjusted) 95 % interval, one
/// line each, a dashed line at zero; the point is filled where the Holm-adjusted verdict is better or worse. Labels are
/// HTML-encoded.
/// </summary>
public static class ForestPlot
{
    public sealed record Line(string Label, double Difference, double? Lower, double? Upper, string Verdict, string Words);

    private const int Width = 460, Left = 150, Top = 22, LineHeight = 22;

    public static string Svg(string title, IReadOnlyList<Line> lines)
    {
        if (lines.Count == 0) return "";
        double lo = Math.Min(0, lines.Min(l => l.Lower ?? l.Difference)), hi = Math.Max(0, lines.Max(l => l.Upper ?? l.Difference));
        double pad = (hi - lo) * 0.08 + 1e-9;
        double min = lo - pad, max = hi + pad;
        double X(double v) => Left + (v - min) / (max - min) * (Width - Left - 12);
        int height = Top + lines.Count * LineHeight + 24;
        var sb = new StringBuilder();
        string E(string s) => WebUtility.HtmlEncode(s);
        sb.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" role=\"img\" aria-label=\"{E(title)}\" data-testid=\"forest-plot\">");
        sb.Append($"<title>{E(title)}</title><text x=\"4\" y=\"14\" font-size=\"12\" font-weight=\"600\">{E(title)}</text>");
        sb.Append($"<line x1=\"{F(X(0))}\" y1=\"{Top}\" x2=\"{F(X(0))}\" y2=\"{Top + lines.Count * LineHeight}\" stroke=\"#888\" stroke-dasharray=\"3,3\"/>");
        for (int i = 0; i < lines.Count; i++)
        {
            var l = lines[i];
            double y = Top + i * LineHeight + LineHeight / 2.0;
            string colour = l.Verdict switch { "Better" => "#2e7d32", "Worse" => "#c62828", _ => "#555" };
            string label = l.Label.Length <= 22 ? l.Label : l.Label[..21] + "…";
            sb.Append($"<text x=\"4\" y=\"{F(y + 4)}\" font-size=\"11\">{E(label)}</text>");
            if (l.Lower is { } a && l.Upper is { } b)
                sb.Append($"<line x1=\"{F(X(a))}\" y1=\"{F(y)}\" x2=\"{F(X(b))}\" y2=\"{F(y)}\" stroke=\"{colour}\" stroke-width=\"2\"/>");
            string fill = l.Verdict is "Better" or "Worse" ? colour : "white";
            string tip = $"{l.Label}: {Signed(l.Difference)} [{l.Lower?.ToString("0.0000", CultureInfo.InvariantCulture) ?? "–"}, {l.Upper?.ToString("0.0000", CultureInfo.InvariantCulture) ?? "–"}] — {l.Words}";
            sb.Append($"<circle cx=\"{F(X(l.Difference))}\" cy=\"{F(y)}\" r=\"4\" fill=\"{fill}\" stroke=\"{colour}\" stroke-width=\"2\"><title>{E(tip)}</title></circle>");
        }
        int axis = Top + lines.Count * LineHeight + 16;
        sb.Append($"<text x=\"{F(X(lo))}\" y=\"{axis}\" font-size=\"10\">{Signed(lo, "0.000")}</text>");
        sb.Append($"<text x=\"{F(X(0) - 3)}\" y=\"{axis}\" font-size=\"10\">0</text>");
        sb.Append($"<text x=\"{F(X(hi) - 30)}\" y=\"{axis}\" font-size=\"10\">{Signed(hi, "0.000")}</text>");
        sb.Append("</svg>");
        return sb.ToString();
    }

    private static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
    private static string Signed(double v, string format = "0.0000") => v.ToString($"+{format};-{format};0", CultureInfo.InvariantCulture);
}
