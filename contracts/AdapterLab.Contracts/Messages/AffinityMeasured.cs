namespace AdapterLab.Contracts.Messages;

/// <summary>
/// Agent → orchestrator: one estimator's N×N task-affinity matrix at an evaluation step (row-major, A[i→j] at i·N+j:
/// row = source task, column = target task). Estimators: <c>troa</c>, <c>cosine</c>, <c>tag-lookahead</c>, and
/// <c>gradient-cosine</c> for the raw gradient-cosine matrix of that evaluation. Idempotent per (experiment, step, estimator).
/// </summary>
public sealed record AffinityMeasured : IAttemptReport
{
    public Guid ExperimentId { get; init; }
    public int AttemptNumber { get; init; }
    public long Step { get; init; }
    public string Estimator { get; init; } = "";
    public IReadOnlyList<string> TaskOrder { get; init; } = [];
    public IReadOnlyList<double> Values { get; init; } = [];
}
