using static TorchSharp.torch;

namespace AdapterLab.Training.Model;

/// <summary>
/// How far each method's trainable branch moves the frozen network: per site the ratio of norms, over a measured batch,
/// of what the method adds to what the frozen part computes there — AdaptFormer ‖s·A(x)‖ / ‖MLP(x)‖ per adapted block,
/// LoRA ‖(α/r)·BAx‖ / ‖Wx‖ per adapted projection, VPT the mean prompt-token norm over the mean patch-token norm where
/// the prompts enter. Zero at step 0 for AdaptFormer and LoRA (zero-initialised up/B); a ratio that stays near zero
/// through training is a method that did not move (the report shows it beside the accuracy).
/// </summary>
public sealed class BranchMeter
{
    private readonly SortedDictionary<string, (double Branch, double Main)> sums = new(StringComparer.Ordinal);

    /// <summary>Adds the squared norms of a branch and of the frozen computation it sits beside.</summary>
    public void Add(string site, Tensor branch, Tensor main)
    {
        double b = branch.detach().square().sum().item<float>(), m = main.detach().square().sum().item<float>();
        var (sb, sm) = sums.GetValueOrDefault(site);
        sums[site] = (sb + b, sm + m);
    }

    /// <summary>Adds mean per-token norms (prompts against patch tokens), each weighted once per call.</summary>
    public void AddTokenNorms(string site, Tensor branchTokens, Tensor mainTokens)
    {
        double b = branchTokens.detach().square().sum(-1).sqrt().mean().item<float>(), m = mainTokens.detach().square().sum(-1).sqrt().mean().item<float>();
        var (sb, sm) = sums.GetValueOrDefault(site);
        sums[site] = (sb + b * b, sm + m * m);
    }

    /// <summary>Per site: √(Σ‖branch‖² / Σ‖main‖²), in site order.</summary>
    public IReadOnlyList<(string Site, double Ratio)> Ratios() =>
        sums.Select(s => (s.Key, s.Value.Main > 0 ? Math.Sqrt(s.Value.Branch / s.Value.Main) : 0.0)).ToList();
}
