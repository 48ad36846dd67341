using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AdapterLab.Contracts.Lifecycle;
using AdapterLab.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.IntegrationTests.Projects;

/// <summary>
/// Two projects compete for one pool through the whole platform (web, orchestrator, a real agent training with
/// TorchSharp): project alpha, limited to one slot of the pool, queues first and at a higher priority; beta's work runs
/// beside alpha's one attempt instead of waiting behind alpha's queue, alpha's waiting work says why, and alpha never
/// holds two slots at once.
/// </summary>
public sealed class ProjectQuotaTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    private const string Pool = "shared";

    private static object Pretrain(int seed, int priority) => new
    {
        specVersion = 1,
        name = $"quota-{seed}",
        kind = "pretrain",
        backbone = new { preset = "vit-tiny-ci", source = "random" },
        method = new { name = "supervised" },
        tasks = new[] { "classification" },
        data = new { dataset = "shapesworld", labelFamily = "largest-shape", sourceDomain = "synthetic", trainSize = 128, validationSize = 32, testSize = 32 },
        training = new { steps = 12, batchSize = 16, evalInterval = 12, checkpointInterval = 12, seed },
        resources = new { pool = Pool },
        priority,
    };

    private async Task<Guid> SubmitAsync(string project, object spec)
    {
        using var response = await platform.Api.PostAsJsonAsync($"/api/experiments?project={project}", spec, JsonSerializerOptions.Web);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();
    }

    [Fact]
    public async Task The_quota_holds_with_two_projects_competing_for_one_pool()
    {
        string alpha = "alpha-" + Guid.NewGuid().ToString("N")[..6], beta = "beta-" + Guid.NewGuid().ToString("N")[..6];
        foreach (var name in new[] { alpha, beta })
            using (var created = await platform.Api.PostAsJsonAsync("/api/projects", new { name }))
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using (var quota = await platform.Api.PutAsJsonAsync($"/api/projects/{alpha}/quotas/{Pool}", new { maxSlots = 1 }))
            Assert.Equal(HttpStatusCode.NoContent, quota.StatusCode);

        // Alpha's three experiments are queued ahead of beta's two (higher priority, submitted first) before any agent serves the pool.
        var alphas = new List<Guid>();
        for (int i = 1; i <= 3; i++) alphas.Add(await SubmitAsync(alpha, Pretrain(i, priority: 10)));
        var betas = new List<Guid>();
        for (int i = 4; i <= 5; i++) betas.Add(await SubmitAsync(beta, Pretrain(i, priority: 0)));
        await platform.StartAgentAsync("quota-agent-" + Guid.NewGuid().ToString("N")[..6], Pool, slots: 3);

        // While alpha holds its one slot, its next experiment says why it waits.
        await Eventually.TrueAsync(async () =>
        {
            await using var db = platform.Db();
            return await db.Experiments.AsNoTracking().AnyAsync(e => alphas.Contains(e.Id) && e.Status == ExperimentStatus.Queued
                && e.WaitingReason != null && e.WaitingReason.StartsWith($"project {alpha} at its 1-slot limit in pool {Pool}"));
        }, TimeSpan.FromMinutes(2), () => "no alpha experiment waited on its quota");

        foreach (var id in alphas.Concat(betas)) await platform.WaitForStatusAsync(id, "Succeeded", TimeSpan.FromMinutes(4));

        await using var check = platform.Db();
        var attempts = await check.Attempts.AsNoTracking().Where(a => alphas.Contains(a.ExperimentId) || betas.Contains(a.ExperimentId))
            .Select(a => new { a.ExperimentId, a.DispatchedAt, a.FinishedAt }).ToListAsync();
        // Alpha never held two slots: its attempts' [dispatched, finished] spans do not overlap.
        var alphaSpans = attempts.Where(a => alphas.Contains(a.ExperimentId)).OrderBy(a => a.DispatchedAt).ToList();
        for (int i = 1; i < alphaSpans.Count; i++)
            Assert.True(alphaSpans[i].DispatchedAt >= alphaSpans[i - 1].FinishedAt,
                $"alpha held two slots: {alphaSpans[i - 1].ExperimentId} until {alphaSpans[i - 1].FinishedAt:O}, {alphaSpans[i].ExperimentId} from {alphaSpans[i].DispatchedAt:O}");
        // Beta's work did not wait behind alpha's queue: both ran before alpha's last experiment was dispatched.
        var lastAlpha = alphaSpans[^1].DispatchedAt;
        Assert.All(attempts.Where(a => betas.Contains(a.ExperimentId)), b => Assert.True(b.DispatchedAt < lastAlpha,
            $"beta's {b.ExperimentId} was dispatched at {b.DispatchedAt:O}, after alpha's last at {lastAlpha:O}"));
    }
}
