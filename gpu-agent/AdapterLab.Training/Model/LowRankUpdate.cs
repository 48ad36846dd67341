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
    private readonly Scalar scaling;

    public LowRankUpdate(int inFeatures, int outFeatures, int rank, double alpha) : base(nameof(LowRankUpdate))
    {
        a = nn.Parameter(torch.empty(rank, inFeatures));
        b = nn.Parameter(torch.zeros(outFeatures, rank));
        scaling = ((double)alpha / rank).ToScalar();
        RegisterComponents();
        Initialise(null);
    }

    /// <summary>(Re)initialises A (Kaiming-uniform from <paramref name="generator"/>) and B (zero).</summary>
    public void Initialise(Generator? generator)
    {
        using var _ = torch.no_grad();
        SeededInit.KaimingUniform(a, Math.Sqrt(5), generator);
        b.zero_();
    }

    public override Tensor forward(Tensor x)
    {
        using var down = Autocast.Linear(x, a);
        using var up = Autocast.Linear(down, b);
        return up.mul(scaling);
    }
}
