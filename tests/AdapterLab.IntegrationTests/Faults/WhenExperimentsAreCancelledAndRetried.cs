using Microsoft.Extensions.DependencyInjection;
using System.Net;
using AdapterLab.Contracts.Lifecycle;
using AdapterLab.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.IntegrationTests.Faults;

/// <summary>Cancellation reaches the running agent, which stops at a step boundary with a checkpoint; a retry resumes
/// there. A queued experiment that is cancelled is never dispatched. A corrupted checkpoint is detected and not used.</summary>
[Collection(FaultCollection.Name)]
public sealed class WhenExperimentsAreCancelledAndRetried(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    [Fact]
    public async Task A_queued_experiment_cancelled_is_never_dispatched()
    {
        var id = await platform.SubmitAsync(FaultSpecs.Pretrain(steps: 5, pool: "nowhere"));
        await Eventually.TrueAsync(async () => (await platform.GetExperimentAsync(id)).GetProperty("waitingReason").GetString()?.Contains("no agent in pool nowhere") == true,
            TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.Accepted, (await platform.Api.PostAsync($"/api/experiments/{id}/cancel", null)).StatusCode);
        await platform.WaitForStatusAsync(id, "Cancelled", TimeSpan.FromSeconds(30));

        await using var db = platform.Db();
        Assert.False(await db.Attempts.AnyAsync(a => a.ExperimentId == id));
        Assert.Contains(await db.StateTransitions.Where(t => t.ExperimentId == id).Select(t => t.To).ToListAsync(), t => t == "Cancelled");
    }

    [Fact]
    public async Task A_running_experiment_stops_with_a_checkpoint_and_a_retry_resumes_there()
    {
        var id = await platform.SubmitAsync(FaultSpecs.Pretrain(steps: 150, checkpointInterval: 0));
        await Eventually.TrueAsync(async () => (await platform.GetExperimentAsync(id)).GetProperty("step").GetInt64() >= 3, TimeSpan.FromMinutes(3));
        Assert.Equal(HttpStatusCode.Accepted, (await platform.Api.PostAsync($"/api/experiments/{id}/cancel", null)).StatusCode);
        await platform.WaitForStatusAsync(id, "Cancelled", TimeSpan.FromMinutes(1));

        long stoppedAt;
        await using (var db = platform.Db())
        {
            var first = await db.Attempts.SingleAsync(a => a.ExperimentId == id);
            Assert.Equal(ExperimentStatus.Cancelled, first.Status);
            var checkpoint = await db.Checkpoints.SingleAsync(c => c.ExperimentId == id && c.Kind == "resume");
            stoppedAt = checkpoint.Step;
            Assert.True(stoppedAt is >= 3 and < 150, $"stopped at {stoppedAt}");
        }

        await platform.RetryAsync(id);
        await platform.WaitForStatusAsync(id, "Succeeded", TimeSpan.FromMinutes(3));
        await using (var db = platform.Db())
        {
            var second = await db.Attempts.SingleAsync(a => a.ExperimentId == id && a.Number == 2);
            Assert.Equal(stoppedAt, second.StartStep);
            Assert.Equal(150, second.Step);
        }
    }

    [Fact]
    public async Task A_corrupted_checkpoint_is_detected_and_an_older_one_is_used()
    {
        var id = await platform.SubmitAsync(FaultSpecs.Pretrain(steps: 60, retention: "all"));
        await Eventually.TrueAsync(async () =>
        {
            await using var db = platform.Db();
            return await db.Checkpoints.CountAsync(c => c.ExperimentId == id && c.Kind == "resume") >= 2;
        }, TimeSpan.FromMinutes(3));
        await platform.Api.PostAsync($"/api/experiments/{id}/cancel", null);
        await platform.WaitForStatusAsync(id, "Cancelled", TimeSpan.FromMinutes(1));

        string corrupted;
        long corruptedStep;
        await using (var db = platform.Db())
        {
            var latest = await db.Checkpoints.Where(c => c.ExperimentId == id && c.Kind == "resume").OrderByDescending(c => c.Step).FirstAsync();
            (corrupted, corruptedStep) = (latest.BlobHash, latest.Step);
            // Flip bytes in storage, as a failing disk would; the blob keeps its name.
            await db.Database.ExecuteSqlInterpolatedAsync($"UPDATE blob_chunks SET data = overlay(data placing '\\xdeadbeef'::bytea from 100) WHERE hash = {corrupted}");
        }

        await platform.RetryAsync(id);
        await platform.WaitForStatusAsync(id, "Succeeded", TimeSpan.FromMinutes(3));
        await using (var db = platform.Db())
        {
            var attempts = await db.Attempts.Where(a => a.ExperimentId == id).OrderBy(a => a.Number).ToListAsync();
            var refused = attempts.Single(a => a.ResumeBlob == corrupted);
            Assert.Equal(ExperimentStatus.Failed, refused.Status);
            Assert.Contains("corrupted", refused.FailureReason);
            var final = attempts[^1];
            Assert.Equal(ExperimentStatus.Succeeded, final.Status);
            Assert.NotEqual(corrupted, final.ResumeBlob);
            Assert.True(final.StartStep < corruptedStep, $"resumed at {final.StartStep}, not before the corrupted checkpoint at {corruptedStep}");
            // The damaged copy was discarded on detection. Training is deterministic, so a later attempt may write the
            // very same checkpoint again: if the hash is stored now, it holds the true bytes.
            if (await db.Blobs.AnyAsync(b => b.Hash == corrupted))
            {
                var blobs = platform.WebServices.GetRequiredService<AdapterLab.Data.Blobs.BlobStore>();
                File.Delete(await blobs.ReadToTempFileAsync(corrupted, CancellationToken.None)); // throws if the stored bytes do not hash to it
            }
        }
    }
}
