using AdapterLab.Statistics;

namespace AdapterLab.Statistics.Tests;

/// <summary>A report's findings: pass, fail or inconclusive from the library, and nothing judged when a gate fails.</summary>
public sealed class FindingsTests
{
    private static Difference D(double value, double se, double df = 20) =>
        new(Estimate.FromStandardError(value, se, df, 5, 4000, IntervalMethod.SeedsAndExamples), Comparisons.PValue(Estimate.FromStandardError(value, se, df, 5, 4000, IntervalMethod.SeedsAndExamples)), "paired t");

    [Fact]
    public void A_significant_difference_in_the_claimed_direction_passes_and_the_other_way_fails()
    {
        var findings = Findings.Judge([], [
            new Claim("A beats B", ClaimKind.Better, D(0.05, 0.01)),
            new Claim("C beats D", ClaimKind.Better, D(-0.05, 0.01)),
            new Claim("RMSE: E beats F", ClaimKind.Better, D(-0.05, 0.01), HigherIsBetter: false),
        ]);
        Assert.Equal([FindingOutcome.Pass, FindingOutcome.Fail, FindingOutcome.Pass], findings.Select(f => f.Outcome));
        Assert.Contains("Holm-adjusted", findings[0].Evidence);
    }

    [Fact]
    public void Noise_is_inconclusive_and_a_tight_zero_difference_fails_a_superiority_claim()
    {
        var findings = Findings.Judge([], [
            new Claim("A beats B", ClaimKind.Better, D(0.01, 0.02), Margin: 0.004),
            new Claim("C beats D", ClaimKind.Better, D(0.0002, 0.0005), Margin: 0.004),
        ]);
        Assert.Equal(FindingOutcome.Inconclusive, findings[0].Outcome);
        Assert.Contains("no difference detected", findings[0].Evidence);
        Assert.Equal(FindingOutcome.Fail, findings[1].Outcome);
        Assert.Contains("no practical difference", findings[1].Evidence);
    }

    [Fact]
    public void Holm_adjustment_can_turn_a_marginal_pass_inconclusive()
    {
        // p ≈ 0.03 alone passes; beside two other tests (× 3 for the smallest) it does not.
        var marginal = D(0.0229, 0.01, 1000);
        Assert.Equal(FindingOutcome.Pass, Findings.Judge([], [new Claim("A beats B", ClaimKind.Better, marginal)])[0].Outcome);
        var three = Findings.Judge([], [
            new Claim("A beats B", ClaimKind.Better, marginal),
            new Claim("C beats D", ClaimKind.Better, D(0.0229, 0.01, 1000)),
            new Claim("E beats F", ClaimKind.Better, D(0.0229, 0.01, 1000)),
        ]);
        Assert.All(three, f => Assert.Equal(FindingOutcome.Inconclusive, f.Outcome));
    }

    [Fact]
    public void Equivalence_claims_pass_by_tost_fail_outside_the_margin_and_are_otherwise_inconclusive()
    {
        var findings = Findings.Judge([], [
            new Claim("A ≡ B", ClaimKind.Equivalent, D(0.001, 0.002), Margin: 0.02),
            new Claim("C ≡ D", ClaimKind.Equivalent, D(0.10, 0.01), Margin: 0.02),
            new Claim("E ≡ F", ClaimKind.Equivalent, D(0.0, 0.05), Margin: 0.02),
        ]);
        Assert.Equal([FindingOutcome.Pass, FindingOutcome.Fail, FindingOutcome.Inconclusive], findings.Select(f => f.Outcome));
    }

    [Fact]
    public void A_failed_gate_makes_every_finding_inconclusive_and_the_report_says_so()
    {
        Gate[] gates = [new("every method above the majority-class floor", false, "task B: all seven within the floor's interval"), new("seeds differ", true, "")];
        var findings = Findings.Judge(gates, [new Claim("A beats B", ClaimKind.Better, D(0.05, 0.01))]);
        var f = Assert.Single(findings);
        Assert.Equal(FindingOutcome.Inconclusive, f.Outcome);
        Assert.StartsWith("gates failed: every method above the majority-class floor", f.Evidence);
        var md = Findings.Markdown(gates, findings);
        Assert.Contains("**Verdict: inconclusive: gates failed", md);
        Assert.Contains("nothing is ranked", md);
    }

    [Fact]
    public void Untestable_claims_say_why()
    {
        var f = Assert.Single(Findings.Judge([], [new Claim("A beats B", ClaimKind.Better, null, Untestable: "identical results across seeds")]));
        Assert.Equal(FindingOutcome.Inconclusive, f.Outcome);
        Assert.Equal("untestable: identical results across seeds", f.Evidence);
    }
}
