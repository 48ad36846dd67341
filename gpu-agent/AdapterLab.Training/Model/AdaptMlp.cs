using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AdapterLab.Training.Model;

/// <summary>
/// AdaptFormer's bottleneck: s · up(dropout(ReLU(down(x)))), optional LayerNorm before ("in") or after ("out").
/// Down is Kaiming-uniform, up and both biases are zero, so the adapter outputs exactly zero at step 0 and the
/// adapted model equals the frozen backbone. Dropout masks come from the run's <see cref="RunRandom"/> when the model has
/// one (torch's global generator otherwise).
/// </summary>
public sealed class AdaptMlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear down;
    private readonly Linear up;
    private readonly LayerNorm? adapter_norm;
    private readonly double dropout;
    private readonly RunRandom? random;
    private readonly Parameter? scale;
    private readonly double fixedScale;
    private readonly Scalar fixedScaleScalar, keepRescale;
    private readonly string normPosition;

    public AdaptMlp(int width, AdaptMlpOptions options, RunRandom? random = null) : base(nameof(AdaptMlp))
    {
        down = nn.Linear(width, options.Bottleneck);
        up = nn.Linear(options.Bottleneck, width);
        dropout = options.Dropout;
        this.random = random;
        normPosition = options.AdapterNorm;
        if (normPosition != "none") adapter_norm = nn.LayerNorm([width], eps: 1e-6);
        fixedScale = options.Scale;
        fixedScaleScalar = fixedScale.ToScalar();
        keepRescale = (1 - dropout).ToScalar();
        if (options.LearnableScale) scale = nn.Parameter(torch.full(1, options.Scale));
        RegisterComponents();
        Initialise(random?.Init);
    }

    /// <summary>(Re)initialises every parameter: down Kaiming-uniform from <paramref name="generator"/>, the rest zero (or the scale).</summary>
    public void Initialise(Generator? generator)
    {
        using var _ = torch.no_grad();
        SeededInit.KaimingUniform(down.weight, Math.Sqrt(5), generator);
        down.bias!.zero_();
        up.weight.zero_();
        up.bias!.zero_();
        scale?.fill_(fixedScale);
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var input = normPosition == "in" ? adapter_norm!.forward(x) : x;
        var h = Dropout(nn.functional.relu(Autocast.Linear(down, input)));
        var y = Autocast.Linear(up, h);
        y = scale is null ? y.mul(fixedScaleScalar) : y.mul(scale);
        if (normPosition == "out") y = adapter_norm!.forward(y);
        return y.MoveToOuterDisposeScope();
    }

    private Tensor Dropout(Tensor h)
    {
        if (!training || dropout <= 0) return h;
        if (random is null) return nn.functional.dropout(h, dropout, training: true);
        var keep = torch.empty_like(h).bernoulli_(1 - dropout, random.On(h.device));
        return h.mul(keep).div_(keepRescale);
    }
}
