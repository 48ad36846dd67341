namespace AdapterLab.Contracts.Messages;

/// <summary>Anyone → orchestrator: something that may unblock the queue happened (cancel, retry, backbone ready).</summary>
public sealed record QueueChanged
{
    public string Reason { get; init; } = "";
}
