using TorchSharp.Modules;

namespace AdapterLab.Training.Optimisation;

/// <summary>
/// Parameters that share a learning rate and weight decay. <see cref="LearningRateScale"/> multiplies the schedule's rate,
/// so every group follows the same warm-up and decay; names are <c>ParameterGroups</c> from the contracts.
/// </summary>
public sealed record ParameterGroup(string Name, IReadOnlyList<(string Name, Parameter Parameter)> Parameters, double LearningRateScale, double WeightDecay)
{
    /// <summary>One group over every given parameter (the plan's rate and decay).</summary>
    public static IReadOnlyList<ParameterGroup> Single(IReadOnlyList<(string Name, Parameter Parameter)> parameters, double weightDecay) =>
        [new ParameterGroup("all", parameters, 1.0, weightDecay)];
}
