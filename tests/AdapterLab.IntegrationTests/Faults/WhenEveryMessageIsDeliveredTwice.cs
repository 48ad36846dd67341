using AdapterLab.IntegrationTests.Infrastructure;
using AdapterLab.Messaging;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdapterLab.IntegrationTests.Faults;

/// <summary>A platform whose web, orchestrator and agent each consume every message twice.</summary>
public sealed class DuplicatingPlatform : PlatformFixture
{
    protected override void ConfigureHost(string name, WebApplicationBuilder builder) =>
        builder.Services.AddSingleton<IBusConfigurationHook, DuplicateDeliveryHook>();
}

/// <summary>Every handler is idempotent: with every message delivered twice, the stored outcome of the same (seeded,
/// CPU-deterministic) experiments is identical to a clean platform's.</summary>
[Collection(FaultCollection.Name)]
public sealed class WhenEveryMessageIsDeliveredTwice(DuplicatingPlatform twice, PlatformFixture clean)
    : IClassFixture<DuplicatingPlatform>, IClassFixture<PlatformFixture>
{
    [Fact]
    public async Task Stored_results_are_identical_to_a_clean_run()
    {
        var a = await RunAsync(twice);
        var b = await RunAsync(clean);

        Assert.Equal(b.Results, a.Results);
        Assert.Equal(b.Points, a.Points);
        Assert.Equal(b.Transitions, a.Transitions);
        Assert.Equal(1, a.Attempts);
    }

    private static async Task<Outcome> RunAsync(PlatformFixture platform)
    {
        var id = await platform.SubmitAsync(FaultSpecs.Pretrain(steps: 12, seed: 7));
        await platform.WaitForStatusAsync(id, "Succeeded", TimeSpan.FromMinutes(3));
        await using var db = platform.Db();
        var results = await db.FinalResults.Where(r => r.ExperimentId == id).OrderBy(r => r.Split).ThenBy(r => r.Domain).ThenBy(r => r.Metric)
            .Select(r => $"{r.Split}/{r.Task}/{r.Domain}/{r.Metric}={r.Value:R}").ToListAsync();
        // The training's points; the system metrics measure the machine (step time, memory, clock), not the run.
        var points = await db.MetricPoints.Where(p => p.ExperimentId == id && p.Split != AdapterLab.Contracts.Messages.SystemMetrics.Split).OrderBy(p => p.Name).ThenBy(p => p.Split).ThenBy(p => p.Domain).ThenBy(p => p.Step)
            .Select(p => $"{p.Name}/{p.Split}/{p.Domain}/{p.Step}={p.Value:R}").ToListAsync();
        var transitions = await db.StateTransitions.Where(t => t.ExperimentId == id).OrderBy(t => t.Id).Select(t => t.From + ">" + t.To).ToListAsync();
        var attempts = await db.Attempts.CountAsync(a => a.ExperimentId == id);
        return new Outcome(results, points, transitions, attempts);
    }

    private sealed record Outcome(List<string> Results, List<string> Points, List<string> Transitions, int Attempts);
}
