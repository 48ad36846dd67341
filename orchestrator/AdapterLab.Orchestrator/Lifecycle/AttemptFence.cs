using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Data;
using AdapterLab.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Orchestrator.Lifecycle;

/// <summary>
/// Attempt numbers fence late messages: only the experiment's current attempt, and only while it has not been declared
/// lost, may change anything. Returns null for a message that must be ignored.
/// </summary>
public static class AttemptFence
{
    public static async Task<(Experiment Experiment, Attempt Attempt)?> LoadCurrentAsync(PlatformDbContext db, Guid experimentId, int attemptNumber, CancellationToken ct)
    {
        var experiment = await db.Experiments.SingleOrDefaultAsync(e => e.Id == experimentId, ct);
        if (experiment is null || experiment.AttemptCount != attemptNumber) return null;
        var attempt = await db.Attempts.SingleOrDefaultAsync(a => a.ExperimentId == experimentId && a.Number == attemptNumber, ct);
        if (attempt is null || attempt.Status == ExperimentStatus.Lost) return null;
        return (experiment, attempt);
    }
}
