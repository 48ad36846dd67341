namespace AdapterLab.Contracts.Messages;

/// <summary>
/// Agent → orchestrator: a batch of the attempt's log lines (what the agent logged while it held the attempt, and the
/// trainer's progress lines), numbered from 0 within the attempt so a redelivered batch is stored once. The agent ships
/// at most a fixed number of lines per attempt; the orchestrator enforces the same bounds on what it stores.
/// </summary>
public sealed record AttemptLogged : IAttemptReport
{
    public Guid ExperimentId { get; init; }
    public int AttemptNumber { get; init; }
    public IReadOnlyList<LogLine> Lines { get; init; } = [];
}

/// <summary>One log line: its 0-based sequence number within the attempt, when, its level and the rendered message.</summary>
public sealed record LogLine(int Sequence, DateTimeOffset At, string Level, string Message);
