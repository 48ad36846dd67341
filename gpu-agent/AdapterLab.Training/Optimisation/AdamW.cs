using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AdapterLab.Training.Optimisation;

/// <summary>AdamW (decoupled weight decay) with PyTorch's update rule and defaults β = (0.9, 0.999), ε = 1e-8.</summary>
public sealed class AdamW : ParameterGroupOptimizer
{
    private const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;

    public AdamW(IReadOnlyList<ParameterGroup> groups) : base(groups, ["exp_avg", "exp_avg_sq"]) { }

    public AdamW(IReadOnlyList<(string Name, Parameter Parameter)> parameters, double weightDecay) : this(ParameterGroup.Single(parameters, weightDecay)) { }

    protected override void Update(string name, Parameter p, Tensor g, double learningRate, double weightDecay)
    {
        double bias1 = 1 - Math.Pow(Beta1, Steps), bias2 = 1 - Math.Pow(Beta2, Steps);
        var m = Slot(name, "exp_avg");
        var v = Slot(name, "exp_avg_sq");
        if (weightDecay != 0) p.mul_(1 - learningRate * weightDecay);
        m.mul_(Beta1).add_(g, alpha: 1 - Beta1);
        v.mul_(Beta2).addcmul_(g, g, value: 1 - Beta2);
        var denom = v.sqrt().div_(Math.Sqrt(bias2)).add_(Epsilon);
        p.addcdiv_(m, denom, value: -learningRate / bias1);
    }
}
