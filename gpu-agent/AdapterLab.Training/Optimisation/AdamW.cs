using TorchSharp;
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
        // Explicit scalars, alive until the native call returns: an implicit double → Scalar conversion is an object the
        // runtime may finalise while libtorch still reads it (seen once as "Unknown scalar type" in mul_ in a CI run).
        using var decay = (1 - learningRate * weightDecay).ToScalar();
        using var beta1 = Beta1.ToScalar();
        using var beta2 = Beta2.ToScalar();
        using var oneMinusBeta1 = (1 - Beta1).ToScalar();
        using var oneMinusBeta2 = (1 - Beta2).ToScalar();
        using var correction = Math.Sqrt(bias2).ToScalar();
        using var epsilon = Epsilon.ToScalar();
        using var step = (-learningRate / bias1).ToScalar();
        if (weightDecay != 0) p.mul_(decay);
        m.mul_(beta1).add_(g, alpha: oneMinusBeta1);
        v.mul_(beta2).addcmul_(g, g, value: oneMinusBeta2);
        var denom = v.sqrt().div_(correction).add_(epsilon);
        p.addcdiv_(m, denom, value: step);
    }
}
