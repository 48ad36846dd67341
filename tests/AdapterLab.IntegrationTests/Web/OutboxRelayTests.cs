using AdapterLab.Contracts.Messages;
using AdapterLab.Web.Outbox;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace AdapterLab.IntegrationTests.Web;

/// <summary>The outbox reaches the broker even when nobody rings the relay (the periodic scan), and readiness covers the bus.</summary>
public sealed class OutboxRelayTests(WebAppFixture web) : IClassFixture<WebAppFixture>
{
    [Fact]
    public async Task A_row_committed_without_a_signal_is_published_by_the_scan()
    {
        var bus = web.App.Services.GetRequiredService<IBus>();
        var id = Guid.NewGuid();
        var received = new TaskCompletionSource<ExperimentSubmitted>(TaskCreationOptions.RunContinuationsAsynchronously);
        // A temporary queue bound like the orchestrator's: proves the message reached the broker, not only that SentAt was set.
        var handle = bus.ConnectReceiveEndpoint(new TemporaryEndpointDefinition(), KebabCaseEndpointNameFormatter.Instance, e =>
            e.Handler<ExperimentSubmitted>(ctx =>
            {
                if (ctx.Message.ExperimentId == id) received.TrySetResult(ctx.Message);
                return Task.CompletedTask;
            }));
        await handle.Ready.WaitAsync(TimeSpan.FromSeconds(30));
        try
        {
            long rowId;
            await using (var db = web.Db())
            {
                var row = OutboxEntries.For(new ExperimentSubmitted { ExperimentId = id, SubmittedAt = DateTimeOffset.UtcNow }, DateTimeOffset.UtcNow);
                db.Outbox.Add(row);
                await db.SaveChangesAsync();
                rowId = row.Id;
            }
            var message = await received.Task.WaitAsync(OutboxRelay.ScanInterval * 4);
            Assert.Equal(id, message.ExperimentId);
            await using var check = web.Db();
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while ((await check.Outbox.AsNoTracking().SingleAsync(o => o.Id == rowId)).SentAt is null && DateTime.UtcNow < deadline)
                await Task.Delay(100);
            Assert.NotNull((await check.Outbox.AsNoTracking().SingleAsync(o => o.Id == rowId)).SentAt);
        }
        finally
        {
            await handle.StopAsync();
        }
    }

    [Fact]
    public void Readiness_checks_postgres_and_the_bus()
    {
        var registrations = web.App.Services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations;
        var ready = registrations.Where(r => r.Tags.Contains("ready")).Select(r => r.Name).ToList();
        Assert.Contains("postgres", ready);
        Assert.Contains(ready, n => n.Contains("masstransit", StringComparison.OrdinalIgnoreCase));
    }
}
