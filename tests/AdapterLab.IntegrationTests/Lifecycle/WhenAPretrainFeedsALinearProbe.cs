using AdapterLab.Contracts.Lifecycle;
using AdapterLab.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.IntegrationTests.Lifecycle;

/// <summary>
/// The walking skeleton, end to end over HTTP, RabbitMQ, PostgreSQL and TorchSharp: a linear probe submitted before its
/// named backbone exists waits and says why; the pretrain that produces the backbone runs; then the probe runs on it.
/// </summary>
public sealed class WhenAPretrainFeedsALinearProbe(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    [Fact]
    public async Task Both_succeed_with_results_provenance_and_the_backbone_pinned()
    {
        var backbone = "shapes-vit-tiny-ci-" + Guid.NewGuid().ToString("N")[..6];
        // bf16 asked for on a CPU agent: trained in fp32, and the attempt's provenance says why.
        var probe = await platform.SubmitAsync(Specs.Adapt(backbone, precision: "bf16"));

        // No backbone of that name yet: the probe waits with a reason.
        var waiting = await WaitForWaitingReasonAsync(probe, "waiting for backbone");
        Assert.Equal("Queued", waiting.GetProperty("status").GetString());

        var pretrain = await platform.SubmitAsync(Specs.Pretrain(backbone));
        await platform.WaitForStatusAsync(pretrain, "Succeeded", TimeSpan.FromMinutes(4));
        var done = await platform.WaitForStatusAsync(probe, "Succeeded", TimeSpan.FromMinutes(3));
        Assert.True(done.GetProperty("results").GetArrayLength() > 0);

        await using var db = platform.Db();
        var registered = await db.Backbones.SingleAsync(b => b.Name == backbone);
        Assert.NotNull(registered.BlobHash);
        Assert.Equal(pretrain, registered.SourceExperimentId);

        foreach (var id in new[] { pretrain, probe })
        {
            var e = await db.Experiments.Include(x => x.Attempts).SingleAsync(x => x.Id == id);
            Assert.Equal(ExperimentStatus.Succeeded, e.Status);
            var attempt = Assert.Single(e.Attempts);
            Assert.Equal(ExperimentStatus.Succeeded, attempt.Status);
            Assert.Equal(platform.AgentId, attempt.AgentId);
            Assert.NotNull(attempt.ProvenanceJson);
            foreach (var field in new[] { "specHash", "dataGeneratorVersion", "gitCommit", "packages", "device", "seed", "host" })
                Assert.Contains($"\"{field}\"", attempt.ProvenanceJson);
            Assert.True(e.TrainableParameters > 0 && e.TotalParameters >= e.TrainableParameters);
            Assert.True(await db.MetricPoints.AnyAsync(p => p.ExperimentId == id && p.Name == "loss"), "loss curve stored");
            var accuracy = await db.FinalResults.Where(r => r.ExperimentId == id && r.Metric == "accuracy" && r.Split == "test").ToListAsync();
            Assert.NotEmpty(accuracy);
            Assert.All(accuracy, r => Assert.InRange(r.Value, 0, 1));
            var transitions = await db.StateTransitions.Where(t => t.ExperimentId == id).OrderBy(t => t.Id).Select(t => t.To).ToListAsync();
            Assert.Equal(["Queued", "Dispatched", "Running", "Succeeded"], transitions);
        }

        // The probe ran on exactly the backbone the pretrain produced, pinned at dispatch and recorded in provenance.
        var probeAttempt = await db.Attempts.SingleAsync(a => a.ExperimentId == probe);
        Assert.Equal(registered.BlobHash, probeAttempt.BackboneBlob);
        Assert.Contains(registered.BlobHash!, probeAttempt.ProvenanceJson);
        using (var provenance = System.Text.Json.JsonDocument.Parse(probeAttempt.ProvenanceJson!))
            Assert.Equal("fp32 (bf16 is off on cpu)", provenance.RootElement.GetProperty("precision").GetString());
        var probeResults = await db.FinalResults.Where(r => r.ExperimentId == probe && r.Split == "test").Select(r => r.Domain).ToListAsync();
        Assert.Contains("textured", probeResults);
        Assert.Contains("fog", probeResults);

        // The backbone's page: where it came from (the pretrain, with its results) and who uses it (the probe).
        var page = System.Text.Json.JsonDocument.Parse(await platform.Api.GetStringAsync($"/api/backbones/{backbone}")).RootElement;
        Assert.Equal(pretrain, page.GetProperty("source").GetProperty("experimentId").GetGuid());
        Assert.NotEqual(0, page.GetProperty("source").GetProperty("results").GetArrayLength());
        Assert.Equal(1, page.GetProperty("userCount").GetInt32());
        Assert.Equal(probe, page.GetProperty("users")[0].GetProperty("id").GetGuid());
        Assert.Equal("linear-probe", page.GetProperty("usageByMethod")[0].GetProperty("method").GetString());
        Assert.Equal(1, page.GetProperty("usageByMethod")[0].GetProperty("succeeded").GetInt32());
        Assert.True(page.GetProperty("sizeBytes").GetInt64() > 0);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await platform.Api.GetAsync("/api/backbones/no-such-backbone")).StatusCode);
    }

    private async Task<System.Text.Json.JsonElement> WaitForWaitingReasonAsync(Guid id, string fragment)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        System.Text.Json.JsonElement last = default;
        while (DateTime.UtcNow < deadline)
        {
            last = await platform.GetExperimentAsync(id);
            if (last.TryGetProperty("waitingReason", out var r) && r.GetString()?.Contains(fragment) == true) return last;
            await Task.Delay(200);
        }
        Assert.Fail($"experiment {id} never reported '{fragment}': {last}");
        return last;
    }
}
