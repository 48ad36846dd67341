using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AdapterLab.Training.Optimisation;

/// <summary>
/// The step loop every optimiser shares: parameter groups, per-parameter state slots as named tensors (so a checkpoint
/// holds them as plain safetensors entries and a resumed run continues bit for bit), zeroing, the step count, and
/// skipping parameters without a gradient. A concrete optimiser only says how one parameter is updated.
/// </summary>
public abstract class ParameterGroupOptimizer : IParameterOptimizer
{
    private readonly Dictionary<string, Tensor> state = new(StringComparer.Ordinal);

    /// <param name="slots">State tensors per parameter (zero-initialised, shaped like it), stored as "{parameter}/{slot}".</param>
    protected ParameterGroupOptimizer(IReadOnlyList<ParameterGroup> groups, IReadOnlyList<string> slots)
    {
        Groups = groups;
        foreach (var group in groups)
            foreach (var (name, p) in group.Parameters)
                foreach (var slot in slots)
                    state[$"{name}/{slot}"] = torch.zeros_like(p).DetachFromDisposeScope();
    }

    public IReadOnlyList<ParameterGroup> Groups { get; }

    public long Steps { get; set; }

    public IReadOnlyDictionary<string, Tensor> State => state;

    public void ZeroGrad()
    {
        using var scope = torch.NewDisposeScope();
        foreach (var group in Groups)
            foreach (var (_, p) in group.Parameters) p.grad?.zero_();
    }

    public void Step(double learningRate)
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        Steps++;
        foreach (var group in Groups)
        {
            double lr = learningRate * group.LearningRateScale;
            foreach (var (name, p) in group.Parameters)
            {
                var g = p.grad;
                if (g is null) continue;
                Update(name, p, g, lr, group.WeightDecay);
            }
        }
    }

    /// <summary>One parameter's update at this step (<see cref="Steps"/> already counts it), inside no_grad and a dispose scope.</summary>
    protected abstract void Update(string name, Parameter parameter, Tensor gradient, double learningRate, double weightDecay);

    protected Tensor Slot(string parameter, string slot) => state[$"{parameter}/{slot}"];
}
