using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Messages;
using AdapterLab.Data;
using AdapterLab.Contracts.Specs;
using AdapterLab.Orchestrator.Checkpoints;
using AdapterLab.Orchestrator.Lifecycle;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Orchestrator.Consumers;

/// <summary>Records a checkpoint of the current attempt (unique per experiment, attempt, step and kind).</summary>
public sealed class CheckpointSavedConsumer(PlatformDbContext db, TimeProvider clock) : IConsumer<CheckpointSaved>
{
    public async Task Consume(ConsumeContext<CheckpointSaved> context)
    {
        var m = context.Message;
        if (await AttemptFence.LoadCurrentAsync(db, m.ExperimentId, m.AttemptNumber, context.CancellationToken) is not ({ } e, _)) return;
        await CheckpointRows.InsertAsync(db, m.ExperimentId, m.AttemptNumber, m.Step, m.Kind, m.BlobHash, m.SizeBytes, clock.GetUtcNow(), context.CancellationToken);
        await CheckpointRetention.ApplyAsync(db, e.Id, SpecJson.Deserialize(e.SpecJson).Training.CheckpointRetention, context.CancellationToken);
        // Predictions may arrive after the success that put the configuration on its boards: its intervals then include them.
        if (m.Kind == AdapterLab.Contracts.Predictions.PredictionsFile.CheckpointKind && e.Status == ExperimentStatus.Succeeded)
            await AdapterLab.Data.Leaderboards.LeaderboardIntervals.RefreshAsync(db, e.Id, context.CancellationToken);
    }
}

/// <summary>Idempotent insert of a checkpoint row.</summary>
public static class CheckpointRows
{
    public static Task InsertAsync(PlatformDbContext db, Guid experimentId, int attempt, long step, string kind, string blobHash, long size, DateTimeOffset now, CancellationToken ct) =>
        db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO checkpoints (experiment_id, attempt_number, step, kind, blob_hash, size_bytes, created_at)
            SELECT {experimentId}, {attempt}, {step}, {kind}, {blobHash}, COALESCE((SELECT size_bytes FROM blobs WHERE hash = {blobHash}), {size}), {now}
            ON CONFLICT (experiment_id, attempt_number, step, kind) DO NOTHING
            """, ct);
}
