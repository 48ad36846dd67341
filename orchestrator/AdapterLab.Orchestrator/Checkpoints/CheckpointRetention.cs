using AdapterLab.Data;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Orchestrator.Checkpoints;

/// <summary>
/// Applies an experiment's retention policy to its resumable checkpoints (final outputs and backbones are always kept):
/// <c>latest</c> keeps the newest, <c>best</c> also the one at the best validation score, <c>all</c> keeps everything.
/// Dropping a row only unreferences its blob; the garbage collector reclaims the bytes.
/// </summary>
public static class CheckpointRetention
{
    public static async Task ApplyAsync(PlatformDbContext db, Guid experimentId, string policy, CancellationToken ct)
    {
        if (policy == "all") return;
        var resume = await db.Checkpoints.Where(c => c.ExperimentId == experimentId && c.Kind == "resume").ToListAsync(ct);
        if (resume.Count <= 1) return;
        var keep = new HashSet<long> { resume.OrderByDescending(c => c.Step).ThenByDescending(c => c.AttemptNumber).First().Id };
        if (policy == "best")
        {
            var steps = resume.Select(c => c.Step).ToList();
            var best = await db.MetricPoints
                .Where(p => p.ExperimentId == experimentId && p.Split == "validation" && (p.Name == "accuracy" || p.Name == "loss") && steps.Contains(p.Step))
                .ToListAsync(ct);
            // Higher accuracy is better; without accuracy, lower validation loss.
            var bestStep = best.Any(p => p.Name == "accuracy")
                ? best.Where(p => p.Name == "accuracy").GroupBy(p => p.Step).MaxBy(g => g.Average(p => p.Value))?.Key
                : best.Where(p => p.Name == "loss").GroupBy(p => p.Step).MinBy(g => g.Average(p => p.Value))?.Key;
            if (bestStep is { } s) keep.UnionWith(resume.Where(c => c.Step == s).Select(c => c.Id));
        }
        db.Checkpoints.RemoveRange(resume.Where(c => !keep.Contains(c.Id)));
        await db.SaveChangesAsync(ct);
    }
}
