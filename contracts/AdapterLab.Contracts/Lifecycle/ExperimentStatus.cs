namespace AdapterLab.Contracts.Lifecycle;

/// <summary>Experiment lifecycle states (architecture.md): Queued → Dispatched → Running → Succeeded | Failed | Cancelled;
/// Running → Lost → Queued (next attempt) until retry.maxAttempts.</summary>
public enum ExperimentStatus
{
    Queued,
    Dispatched,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    Lost,
}

public static class ExperimentStatusRules
{
    /// <summary>States from which the experiment never moves again without a user's retry.</summary>
    public static bool IsTerminal(this ExperimentStatus s) => s is ExperimentStatus.Succeeded or ExperimentStatus.Failed or ExperimentStatus.Cancelled;

    /// <summary>States in which an attempt holds a lease on an agent.</summary>
    public static bool IsActive(this ExperimentStatus s) => s is ExperimentStatus.Dispatched or ExperimentStatus.Running;
}
