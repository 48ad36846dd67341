namespace AdapterLab.Contracts.Lifecycle;

/// <summary>Experiment lifecycle states (architecture.md): Queued → Dispatched → Running → Succeeded | Failed | Cancelled;
/// Running → Lost → Queued (next attempt) until retry.maxAttempts. A sweep's trial may also stop at a rung: Running →
/// Paused (its rung checkpoint pinned) → Queued when promoted (a resume, not a restart) or → Stopped when its sweep ends
/// without promoting it.</summary>
public enum ExperimentStatus
{
    Queued,
    Dispatched,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    Lost,
    /// <summary>A sweep trial that reached its rung and waits for the sweep's decision; not terminal (its checkpoint stays pinned).</summary>
    Paused,
    /// <summary>A sweep trial its sweep ended without promoting: terminal, not a cancellation (nobody asked; the search was over).</summary>
    Stopped,
}

public static class ExperimentStatusRules
{
    /// <summary>States from which the experiment never moves again without a user's retry.</summary>
    public static bool IsTerminal(this ExperimentStatus s) => s is ExperimentStatus.Succeeded or ExperimentStatus.Failed or ExperimentStatus.Cancelled or ExperimentStatus.Stopped;

    /// <summary>States in which an attempt holds a lease on an agent.</summary>
    public static bool IsActive(this ExperimentStatus s) => s is ExperimentStatus.Dispatched or ExperimentStatus.Running;
}
