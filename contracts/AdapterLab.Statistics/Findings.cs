using System.Globalization;
using System.Text;

namespace AdapterLab.Statistics;

public enum FindingOutcome
{
    Pass,
    Fail,
    Inconclusive,
}

public enum ClaimKind
{
    /// <summary>A is better than B (in the metric's direction).</summary>
    Better,
    /// <summary>A and B are equivalent within a margin.</summary>
    Equivalent,
}

/// <summary>
/// A precondition of a report (e.g. "every method beats the majority-class floor", "seeds differ"): when one fails, no
/// finding of the report can pass or fail, and the report says "inconclusive: gates failed", never a ranking.
/// </summary>
public sealed record Gate(string Name, bool Passed, string Evidence);

/// <summary>
/// A claim a report tests, e.g. "AdaptFormer beats the linear probe on task A". <see cref="Difference"/> is a − b (null
/// when untestable, with <see cref="Untestable"/> saying why).
/// </summary>
public sealed record Claim(string Text, ClaimKind Kind, Difference? Difference, bool HigherIsBetter = true, double Margin = 0, string? Untestable = null);

/// <summary>A claim's verdict in a report: pass, fail or inconclusive, with the evidence in words.</summary>
public sealed record Finding(string Claim, FindingOutcome Outcome, string Evidence)
{
    public string Word => Outcome switch { FindingOutcome.Pass => "pass", FindingOutcome.Fail => "fail", _ => "inconclusive" };
}

/// <summary>
/// Judges a report's claims with the library: directional claims by their Holm-adjusted p (over the report's directional
/// claims) — <b>pass</b> when the claimed direction is significant, <b>fail</b> when the opposite direction is significant
/// or a TOST shows the two equivalent within the margin, otherwise <b>inconclusive</b>; equivalence claims by TOST —
/// <b>pass</b> when equivalent within the margin, <b>fail</b> when the whole interval lies outside it, otherwise
/// <b>inconclusive</b>. Any failed gate makes every finding inconclusive.
/// </summary>
public static class Findings
{
    public static IReadOnlyList<Finding> Judge(IReadOnlyList<Gate> gates, IReadOnlyList<Claim> claims)
    {
        var failed = gates.Where(g => !g.Passed).ToList();
        if (failed.Count > 0)
            return claims.Select(c => new Finding(c.Text, FindingOutcome.Inconclusive,
                $"gates failed: {string.Join("; ", failed.Select(g => g.Name))}")).ToList();

        var directional = claims.Select((c, i) => (c, i)).Where(x => x.c.Kind == ClaimKind.Better && x.c.Difference is { Estimate.HasInterval: true }).ToList();
        var adjusted = Holm.Adjust(directional.Select(x => x.c.Difference!.PValue).ToList());
        var adjustedByClaim = directional.Select((x, k) => (x.i, p: adjusted[k])).ToDictionary(x => x.i, x => x.p);
        return claims.Select((c, i) => Judge(c, adjustedByClaim.TryGetValue(i, out var p) ? p : null)).ToList();
    }

    private static Finding Judge(Claim claim, double? adjustedP)
    {
        if (claim.Difference is not { Estimate.HasInterval: true } d)
            return new(claim.Text, FindingOutcome.Inconclusive, "untestable: " + (claim.Untestable ?? "too few runs"));
        var e = d.Estimate;
        string interval = $"{Signed(e.Value)} [{Signed(e.Lower)}, {Signed(e.Upper)}], {d.Test}, {e.SampleSize}";
        if (claim.Kind == ClaimKind.Equivalent)
        {
            double tost = Comparisons.EquivalenceP(e, claim.Margin);
            if (tost < Verdict.Alpha) return new(claim.Text, FindingOutcome.Pass, $"equivalent within ±{claim.Margin:0.###} (TOST {Verdict.P(tost)}); {interval}");
            if (e.Lower > claim.Margin || e.Upper < -claim.Margin) return new(claim.Text, FindingOutcome.Fail, $"differs by more than ±{claim.Margin:0.###}; {interval}");
            return new(claim.Text, FindingOutcome.Inconclusive, $"neither equivalent within ±{claim.Margin:0.###} nor shown different (TOST {Verdict.P(tost)}); {interval}");
        }
        double p = adjustedP ?? d.PValue;
        bool claimedDirection = (e.Value > 0) == claim.HigherIsBetter;
        if (p < Verdict.Alpha)
            return claimedDirection
                ? new(claim.Text, FindingOutcome.Pass, $"{Verdict.P(p)} (Holm-adjusted); {interval}")
                : new(claim.Text, FindingOutcome.Fail, $"significantly the other way, {Verdict.P(p)} (Holm-adjusted); {interval}");
        if (claim.Margin > 0 && Comparisons.EquivalenceP(e, claim.Margin) < Verdict.Alpha)
            return new(claim.Text, FindingOutcome.Fail, $"equivalent within ±{claim.Margin:0.###}: no practical difference; {interval}");
        return new(claim.Text, FindingOutcome.Inconclusive, $"no difference detected, {Verdict.P(p)} (Holm-adjusted); {interval}");
    }

    /// <summary>The report's verdict line: "inconclusive: gates failed" when a gate failed, else counts of each outcome.</summary>
    public static string Summary(IReadOnlyList<Gate> gates, IReadOnlyList<Finding> findings)
    {
        var failed = gates.Where(g => !g.Passed).ToList();
        if (failed.Count > 0) return $"inconclusive: gates failed ({string.Join("; ", failed.Select(g => g.Name))}) — no finding is judged and nothing is ranked";
        return $"{findings.Count(f => f.Outcome == FindingOutcome.Pass)} pass, {findings.Count(f => f.Outcome == FindingOutcome.Fail)} fail, " +
               $"{findings.Count(f => f.Outcome == FindingOutcome.Inconclusive)} inconclusive (of {findings.Count} findings)";
    }

    /// <summary>Gates, then findings, as Markdown tables.</summary>
    public static string Markdown(IReadOnlyList<Gate> gates, IReadOnlyList<Finding> findings)
    {
        var md = new StringBuilder();
        md.AppendLine($"**Verdict: {Summary(gates, findings)}.**");
        md.AppendLine();
        if (gates.Count > 0)
        {
            md.AppendLine("| gate | result | evidence |");
            md.AppendLine("|---|---|---|");
            foreach (var g in gates) md.AppendLine($"| {g.Name} | {(g.Passed ? "passed" : "**failed**")} | {g.Evidence} |");
            md.AppendLine();
        }
        md.AppendLine("| finding | verdict | evidence |");
        md.AppendLine("|---|---|---|");
        foreach (var f in findings) md.AppendLine($"| {f.Claim} | **{f.Word}** | {f.Evidence} |");
        return md.ToString();
    }

    private static string Signed(double x) => Math.Abs(x) < 0.0005 ? "0.000" : x.ToString("+0.000;-0.000", CultureInfo.InvariantCulture);
}
