namespace AdapterLab.Contracts.Messages;

/// <summary>Web → orchestrator: a user asked for a new attempt of a Failed or Cancelled experiment.</summary>
public sealed record RetryRequested : IUserIntent
{
    public Guid ExperimentId { get; init; }
    public string Actor { get; init; } = "";
}
