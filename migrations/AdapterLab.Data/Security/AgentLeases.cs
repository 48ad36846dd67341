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

    /// <summary>
    /// Pins <paramref name="blobHash"/> to every experiment the agent holds now (an upload is for one of them): until
    /// they end, the garbage collector keeps it. Re-pinning refreshes the time. Idempotent.
    /// </summary>
    public static Task<int> PinUploadAsync(PlatformDbContext db, string agentId, string blobHash, DateTimeOffset now, CancellationToken ct) =>
        db.Database.ExecuteSqlAsync($"""
            INSERT INTO blob_pins (hash, experiment_id, pinned_at)
            SELECT DISTINCT {blobHash}, a.experiment_id, {now} FROM attempts a
            WHERE a.agent_id = {agentId} AND a.status IN ('Dispatched', 'Running')
            ON CONFLICT (hash, experiment_id) DO UPDATE SET pinned_at = EXCLUDED.pinned_at
            """, ct);
}
