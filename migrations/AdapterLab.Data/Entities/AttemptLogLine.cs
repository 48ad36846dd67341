namespace AdapterLab.Data.Entities;

/// <summary>
/// One line of an attempt's log, as the agent that held the attempt wrote it and shipped it through the broker. Keyed by
/// its sequence number within the attempt, so a redelivered batch changes nothing; bounded per attempt
/// (<see cref="MaxLinesPerAttempt"/>) and per line (<see cref="MaxMessageLength"/>), enforced where it is stored.
/// </summary>
public sealed class AttemptLogLine
{
    /// <summary>Lines kept per attempt; the agent says so in the last line it keeps, and drops the rest.</summary>
    public const int MaxLinesPerAttempt = 5_000;
    /// <summary>Characters kept per line (a stack trace is cut there).</summary>
    public const int MaxMessageLength = 4_000;

    public Guid ExperimentId { get; set; }
    public int AttemptNumber { get; set; }
    /// <summary>0-based position in the attempt's log.</summary>
    public int Sequence { get; set; }
    public DateTimeOffset At { get; set; }
    /// <summary>Information, Warning, Error, …</summary>
    public string Level { get; set; } = "";
    public string Message { get; set; } = "";
}
