using AdapterLab.Contracts.Messages;
using AdapterLab.IntegrationTests.Infrastructure;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdapterLab.IntegrationTests.Lifecycle;

/// <summary>A report that can never be stored (PostgreSQL refuses a NUL character in text) is retried, then moved to the
/// error queue, and the experiment's audit log says so.</summary>
[Collection(SharedPlatformCollection.Name)]
public sealed class PoisonMessagesShowOnTheExperiment(SharedPlatform platform)
{
    [Fact]
    public async Task The_reason_is_recorded_in_the_audit_log()
    {
        // Published as the agent that held the attempt (its own broker identity): anyone else's report is refused before it
        // could be processed at all.
        var settings = await platform.AgentBusSettingsAsync(platform.AgentId);
        await using var agent = await AgentBus.StartAsync(settings);
        await agent.Bus.Publish(new AttemptProgressed
        {
            ExperimentId = platform.PretrainId,
            AttemptNumber = 1,
            Step = 1,
            TotalSteps = 20,
            Points = [new MetricPoint(1, "train", "classification", "synthetic", "bad\0name", 1.0)],
        });

        await Eventually.TrueAsync(async () =>
        {
            await using var db = platform.Db();
            return await db.StateTransitions.AnyAsync(t => t.ExperimentId == platform.PretrainId && t.Actor == "broker"
                                                          && t.Reason!.Contains("AttemptProgressed could not be processed"));
        }, TimeSpan.FromMinutes(2), () => "no audit row for the poison message");
        await using var check = platform.Db();
        Assert.Equal("Succeeded", (await check.Experiments.SingleAsync(e => e.Id == platform.PretrainId)).Status.ToString());
    }
}
