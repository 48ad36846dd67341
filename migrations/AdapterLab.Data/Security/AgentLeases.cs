using AdapterLab.Contracts.Lifecycle;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Data.Security;

/// <summary>
/// What an agent's leases let it touch in the blob store: it may read the weights it was sent for an attempt it holds
/// now (the pinned backbone, the checkpoint it resumes from, the model it evaluates), and write only while it holds an
/// attempt (its checkpoints, predictions and outputs; the orchestrator accepts references to them only from the holder).
/// An attempt is held while it is Dispatched or Running on that agent.
/// </summary>
public static class AgentLeases
{
    private static readonly ExperimentStatus[] Held = [ExperimentStatus.Dispatched, ExperimentStatus.Running];

    public static Task<bool> MayReadAsync(PlatformDbContext db, string agentId, string blobHash, CancellationToken ct) =>
        db.Attempts.AsNoTracking().AnyAsync(a => a.AgentId == agentId && Held.Contains(a.Status)
            && (a.BackboneBlob == blobHash || a.ResumeBlob == blobHash || a.ModelBlob == blobHash), ct);

    public static Task<bool> MayWriteAsync(PlatformDbContext db, string agentId, CancellationToken ct) =>
        db.Attempts.AsNoTracking().AnyAsync(a => a.AgentId == agentId && Held.Contains(a.Status), ct);
}
