namespace AdapterLab.Training.Model;

/// <summary>Weights do not fit the model; <see cref="Problems"/> lists every offending tensor, not just the first.</summary>
public sealed class WeightLoadException(string source, IReadOnlyList<string> problems)
    : Exception($"{source}: {problems.Count} tensor problem(s):\n  " + string.Join("\n  ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
