using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AdapterLab.Training.Optimisation;

/// <summary>SGD with heavy-ball momentum and L2 weight decay, in PyTorch's convention (buf = μ·buf + g; p −= lr·buf).</summary>
public sealed class SgdMomentum : ParameterGroupOptimizer
{
    private readonly double momentum;

    // A zero buffer makes the first update buf = g, exactly PyTorch's first-step rule.
    public SgdMomentum(IReadOnlyList<ParameterGroup> groups, double momentum) : base(groups, ["momentum_buffer"]) => this.momentum = momentum;

    public SgdMomentum(IReadOnlyList<(string Name, Parameter Parameter)> parameters, double momentum, double weightDecay)
        : this(ParameterGroup.Single(parameters, weightDecay), momentum) { }

    protected override void Update(string name, Parameter p, Tensor g, double learningRate, double weightDecay)
    {
        // Explicit scalars, alive until each native call returns (see AdamW.Update).
        using var decay = weightDecay.ToScalar();
        using var mu = momentum.ToScalar();
        using var step = (-learningRate).ToScalar();
        if (weightDecay != 0) g = g.add(p, alpha: decay);
        var buf = Slot(name, "momentum_buffer");
        buf.mul_(mu).add_(g);
        p.add_(buf, alpha: step);
    }
}
