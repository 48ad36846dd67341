using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Messages;
using AdapterLab.Data;
using AdapterLab.Data.Entities;

namespace AdapterLab.Orchestrator.Lifecycle;

/// <summary>Applies a state change to an experiment and writes its audit row in the same unit of work.</summary>
public static class ExperimentLifecycle
{
    /// <summary>Moves <paramref name="experiment"/> to <paramref name="to"/> (no-op when already there) and returns the news to publish after commit.</summary>
    public static ExperimentStatusChanged? Transition(PlatformDbContext db, Experiment experiment, ExperimentStatus to, string actor, string? reason, DateTimeOffset now)
    {
        if (experiment.Status == to) return null;
        db.StateTransitions.Add(new StateTransition
        {
            ExperimentId = experiment.Id,
            AttemptNumber = experiment.AttemptCount,
            From = experiment.Status.ToString(),
            To = to.ToString(),
            Actor = actor,
            Reason = reason,
            At = now,
        });
        experiment.Status = to;
        experiment.UpdatedAt = now;
        if (to.IsTerminal()) experiment.FinishedAt = now;
        return News(experiment, reason);
    }

    public static ExperimentStatusChanged News(Experiment e, string? detail = null) => new()
    {
        ExperimentId = e.Id,
        Status = e.Status.ToString(),
        Step = e.Step,
        TotalSteps = e.TotalSteps,
        Detail = detail ?? e.WaitingReason ?? e.FailureReason,
    };
}
