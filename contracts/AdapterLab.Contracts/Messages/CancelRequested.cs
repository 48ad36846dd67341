namespace AdapterLab.Contracts.Messages;

/// <summary>Web → orchestrator: a user asked to cancel.</summary>
public sealed record CancelRequested : IUserIntent
{
    public Guid ExperimentId { get; init; }
    public string Actor { get; init; } = "";
}
