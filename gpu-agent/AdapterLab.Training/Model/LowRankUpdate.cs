using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AdapterLab.Training.Model;

/// <summary>
/// LoRA's ΔW x = (α/r)·B A x. B starts at zero so the adapted projection equals the frozen one at step 0;
/// A uses the Kaiming-uniform init of a Linear layer (as in the LoRA reference code).
/// </summary>
public sealed class LowRankUpdate : nn.Module<Tensor, Tensor>
{
    private readonly Parameter a;
    private readonly Parameter b;
    private readonly double scaling;

    public LowRankUpdate(int inFeatures, int outFeatures, int rank, double alpha) : base(nameof(LowRankUpdate))
    {
        a = nn.Parameter(torch.empty(rank, inFeatures));
        b = nn.Parameter(torch.zeros(outFeatures, rank));
        using (torch.no_grad()) nn.init.kaiming_uniform_(a, a: Math.Sqrt(5));
        scaling = alpha / rank;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var down = nn.functional.linear(x, a);
        using var up = nn.functional.linear(down, b);
        return up.mul(scaling);
    }
}
