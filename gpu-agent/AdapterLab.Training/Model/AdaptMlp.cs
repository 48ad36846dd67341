using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AdapterLab.Training.Model;

/// <summary>
/// AdaptFormer's bottleneck: s · up(dropout(ReLU(down(x)))), optional LayerNorm before ("in") or after ("out").
/// Down is Kaiming-uniform, up and both biases are zero, so the adapter outputs exactly zero at step 0 and the
/// adapted model equals the frozen backbone.
/// </summary>
public sealed class AdaptMlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear down;
    private readonly Linear up;
    private readonly LayerNorm? adapter_norm;
    private readonly Dropout dropout;
    private readonly Parameter? scale;
    private readonly double fixedScale;
    private readonly string normPosition;

    public AdaptMlp(int width, AdaptMlpOptions options) : base(nameof(AdaptMlp))
    {
        down = nn.Linear(width, options.Bottleneck);
        up = nn.Linear(options.Bottleneck, width);
        dropout = nn.Dropout(options.Dropout);
        normPosition = options.AdapterNorm;
        if (normPosition != "none") adapter_norm = nn.LayerNorm([width], eps: 1e-6);
        fixedScale = options.Scale;
        if (options.LearnableScale) scale = nn.Parameter(torch.full(1, options.Scale));
        using (torch.no_grad())
        {
            nn.init.kaiming_uniform_(down.weight, a: Math.Sqrt(5));
            nn.init.zeros_(down.bias!);
            nn.init.zeros_(up.weight);
            nn.init.zeros_(up.bias!);
        }
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var input = normPosition == "in" ? adapter_norm!.forward(x) : x;
        var h = dropout.forward(nn.functional.relu(down.forward(input)));
        var y = up.forward(h);
        y = scale is null ? y.mul(fixedScale) : y.mul(scale);
        if (normPosition == "out") y = adapter_norm!.forward(y);
        return y.MoveToOuterDisposeScope();
    }
}
