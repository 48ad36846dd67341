using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AdapterLab.Training.Optimisation;

/// <summary>AdamW (decoupled weight decay) with PyTorch's update rule and defaults β = (0.9, 0.999), ε = 1e-8.</summary>
public sealed class AdamW : IParameterOptimizer
{
    private readonly IReadOnlyList<(string Name, Parameter Parameter)> parameters;
    private readonly Dictionary<string, Tensor> state = new(StringComparer.Ordinal);
    private readonly double weightDecay;
    private const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;

    public AdamW(IReadOnlyList<(string Name, Parameter Parameter)> parameters, double weightDecay)
    {
        this.parameters = parameters;
        this.weightDecay = weightDecay;
        foreach (var (name, p) in parameters)
        {
            state[$"{name}/exp_avg"] = torch.zeros_like(p).DetachFromDisposeScope();
            state[$"{name}/exp_avg_sq"] = torch.zeros_like(p).DetachFromDisposeScope();
        }
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
        Steps++;
        double bias1 = 1 - Math.Pow(Beta1, Steps), bias2 = 1 - Math.Pow(Beta2, Steps);
        foreach (var (name, p) in parameters)
        {
            var g = p.grad;
            if (g is null) continue;
            var m = state[$"{name}/exp_avg"];
            var v = state[$"{name}/exp_avg_sq"];
            if (weightDecay != 0) p.mul_(1 - learningRate * weightDecay);
            m.mul_(Beta1).add_(g, alpha: 1 - Beta1);
            v.mul_(Beta2).addcmul_(g, g, value: 1 - Beta2);
            var denom = v.sqrt().div_(Math.Sqrt(bias2)).add_(Epsilon);
            p.addcdiv_(m, denom, value: -learningRate / bias1);
        }
    }
}
