using AdapterLab.Training.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AdapterLab.Training.Multitask;

/// <summary>
/// A vision adapter block built from a pretrained pre-norm ViT block (its attention, MLP and norms are copied in and train):
/// u = x + TAA(TSN₁(x; ω), ω); m = u + MLP(TSN₂(u; ω)); then the conditional bottleneck chain
/// h = W_up(W_down((1 + γ(z)) ⊙ (m + h_prev) + β(z))), z = Linear(ω), with h_prev the previous adapter's h (0 for the
/// first); the block returns (m + h, h). W_up is zero-initialised and TSN starts as the pretrained LayerNorm, so with
/// A = 0 the block differs from the pretrained one only by the FiLM bias β of TAA.
/// </summary>
public sealed class VisionAdapterBlock : nn.Module
{
    private readonly TaskScaledNorm norm1;
    private readonly TaskAdaptedAttention attn;
    private readonly TaskScaledNorm norm2;
    private readonly Mlp mlp;
    private readonly Linear bottleneck_cond;
    private readonly Linear bottleneck_film;
    private readonly Linear bottleneck_down;
    private readonly Linear bottleneck_up;
    private readonly int width;

    public VisionAdapterBlock(int width, int heads, int mlpHidden, int patchTokens, int diagonalBlocks, int conditioning, int bottleneck) : base(nameof(VisionAdapterBlock))
    {
        this.width = width;
        norm1 = new TaskScaledNorm(width, conditioning);
        attn = new TaskAdaptedAttention(width, heads, patchTokens, diagonalBlocks, conditioning);
        norm2 = new TaskScaledNorm(width, conditioning);
        mlp = new Mlp(width, mlpHidden);
        bottleneck_cond = nn.Linear(conditioning, conditioning);
        bottleneck_film = nn.Linear(conditioning, 2 * width);
        bottleneck_down = nn.Linear(width, bottleneck);
        bottleneck_up = nn.Linear(bottleneck, width);
        RegisterComponents();
        Initialise(null);
    }

    /// <summary>
    /// (Re)initialises every parameter from <paramref name="generator"/> (null: torch's global one): norms and attention
    /// as their own <c>Initialise</c>, the MLP and W_down torch's Linear default, the conditioning Linears trunc-normal
    /// 0.02 with zero bias, W_up zero. <see cref="LoadPretrained"/> then overwrites what the pretrained block has.
    /// </summary>
    public void Initialise(Generator? generator)
    {
        using var _ = torch.no_grad();
        norm1.Initialise();
        attn.Initialise(generator);
        norm2.Initialise();
        SeededInit.LayerDefaults(mlp, generator);
        foreach (var l in new[] { bottleneck_cond, bottleneck_film }) { SeededInit.TruncatedNormal(l.weight, 0.02, generator); l.bias!.zero_(); }
        SeededInit.LayerDefault(bottleneck_down.weight, bottleneck_down.bias, generator);
        bottleneck_up.weight.zero_();
        bottleneck_up.bias!.zero_();
    }

    public TaskAdaptedAttention Attention => attn;
    public TaskScaledNorm Norm1 => norm1;

    /// <summary>Copies the pretrained block's tensors (norm1, attn.q/k/v/proj, norm2, mlp) by name.</summary>
    public void LoadPretrained(nn.Module pretrainedBlock)
    {
        var mine = named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using var _ = torch.no_grad();
        foreach (var (name, p) in pretrainedBlock.named_parameters())
        {
            if (!mine.TryGetValue(name, out var target)) throw new InvalidOperationException($"vision adapter block has no tensor '{name}'");
            target.copy_(p);
        }
    }

    public (Tensor Output, Tensor Skip) Forward(Tensor x, Tensor omega, Tensor? previousSkip)
    {
        var u = x.Plus(attn.forward(norm1.forward(x, omega), omega));
        var m = u.Plus(mlp.forward(norm2.forward(u, omega)));
        var z = Autocast.Linear(bottleneck_cond, omega);
        var gb = Autocast.Linear(bottleneck_film, z);
        var input = previousSkip is null ? m : m.Plus(previousSkip);
        var h = Autocast.Linear(bottleneck_up, Autocast.Linear(bottleneck_down, (1 + gb[.., ..width].unsqueeze(1)) * input + gb[.., width..].unsqueeze(1)));
        return (m.Plus(h), h);
    }
}
