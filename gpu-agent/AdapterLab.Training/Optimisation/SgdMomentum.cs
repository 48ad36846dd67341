using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AdapterLab.Training.Optimisation;

/// <summary>SGD with heavy-ball momentum and L2 weight decay, in PyTorch's convention (buf = μ·buf + g; p −= lr·buf).</summary>
public sealed class SgdMomentum : IParameterOptimizer
{
    private readonly IReadOnlyList<(string Name, Parameter Parameter)> parameters;
    private readonly Dictionary<string, Tensor> state = new(StringComparer.Ordinal);
    private readonly double momentum;
    private readonly double weightDecay;

    public SgdMomentum(IReadOnlyList<(string Name, Parameter Parameter)> parameters, double momentum, double weightDecay)
    {
        this.parameters = parameters;
        this.momentum = momentum;
        this.weightDecay = weightDecay;
        // A zero buffer makes the first update buf = g, exactly PyTorch's first-step rule.
        foreach (var (name, p) in parameters) state[$"{name}/momentum_buffer"] = torch.zeros_like(p).DetachFromDisposeScope();
    }

    public long Steps { get; set; }

    public IReadOnlyDictionary<string, Tensor> State => state;

    public void ZeroGrad()
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        foreach (var (_, p) in parameters) p.grad?.zero_();
    }

    public void Step(double learningRate)
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        foreach (var (name, p) in parameters)
        {
            var g = p.grad;
            if (g is null) continue;
            if (weightDecay != 0) g = g.add(p, alpha: weightDecay);
            var buf = state[$"{name}/momentum_buffer"];
            buf.mul_(momentum).add_(g);
            p.add_(buf, alpha: -learningRate);
        }
        Steps++;
    }
}
