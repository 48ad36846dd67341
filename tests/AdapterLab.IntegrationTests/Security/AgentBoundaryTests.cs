using System.Text;
using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Messages;
using AdapterLab.IntegrationTests.Infrastructure;
using AdapterLab.IntegrationTests.Lifecycle;
using AdapterLab.Messaging;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace AdapterLab.IntegrationTests.Security;

/// <summary>A platform whose agent (A) can be held at its first blob download, so its attempt stays put while B forges.</summary>
public sealed class AgentBoundaryPlatform : PlatformFixture
{
    public BlobDownloadGate Gate { get; } = new();

    protected override void ConfigureHost(string name, WebApplicationBuilder builder)
    {
        if (name == "GpuAgent") builder.Services.ConfigureHttpClientDefaults(c => c.AddHttpMessageHandler(() => new BlobDownloadGate.Handler(Gate)));
    }
}

/// <summary>
/// Tried as an attacker holding agent B's credentials: B forges agent A's reports about A's attempt, announces itself as
/// A or on A's queue, stops A, forges its user_id, reads A's queue and sends users' intent. Every message is refused —
/// by the broker or, for what B may publish, by the orchestrator, which audits it with B's identity — and A's experiment
/// ends exactly as it would have alone.
/// </summary>
public sealed class AgentBoundaryTests(AgentBoundaryPlatform platform) : IClassFixture<AgentBoundaryPlatform>
{
    [Fact]
    public async Task Every_forgery_by_another_agent_is_refused_and_audited_and_the_victim_finishes_untouched()
    {
        var backbone = "bnd-" + Guid.NewGuid().ToString("N")[..6];
        var pretrain = await platform.SubmitAsync(Specs.Pretrain(backbone, steps: 2));
        await platform.WaitForStatusAsync(pretrain, "Succeeded", TimeSpan.FromMinutes(4));

        var forgerId = "forger-" + Guid.NewGuid().ToString("N")[..6];
        var forgerSettings = await platform.AgentBusSettingsAsync(forgerId);
        // A raw broker connection as the forger (its own credentials), for what the bus would never send.
        ConnectionFactory ForgerConnectionFactory() => new()
        {
            HostName = platform.Servers.RabbitHost, Port = platform.Servers.RabbitPort, VirtualHost = platform.Servers.RabbitVirtualHost,
            UserName = forgerSettings["RabbitMq:Username"]!, Password = forgerSettings["RabbitMq:Password"]!,
        };

        platform.Gate.Close();
        Guid victim;
        try
        {
            victim = await platform.SubmitAsync(Specs.Adapt(backbone, steps: 4));
            await Eventually.TrueAsync(() => Task.FromResult(platform.Gate.Waiting > 0), TimeSpan.FromMinutes(2), () => "agent A never started on the victim");
            await platform.WaitForStatusAsync(victim, "Running", TimeSpan.FromSeconds(30));
            await using (var db = platform.Db())
                Assert.Equal(platform.AgentId, (await db.Attempts.AsNoTracking().SingleAsync(a => a.ExperimentId == victim)).AgentId);

            var a = platform.AgentId;
            var aQueue = QueueNames.Agent(platform.QueuePrefix, a);
            var now = DateTimeOffset.UtcNow;
            await using (var forger = await AgentBus.StartAsync(forgerSettings))
            {
                var bus = forger.Bus;
                await bus.Publish(new AttemptStarted { ExperimentId = victim, AttemptNumber = 1, AgentId = a, StartedAt = now, TotalSteps = 4 });
                await bus.Publish(new AttemptStarted { ExperimentId = victim, AttemptNumber = 1, AgentId = forgerId, StartedAt = now, TotalSteps = 4 });
                await bus.Publish(new AttemptProgressed
                {
                    ExperimentId = victim, AttemptNumber = 1, Step = 9999, TotalSteps = 4,
                    Points = [new MetricPoint(9999, "train", "classification", "textured", "forged", 1.0)],
                });
                await bus.Publish(new AttemptHeartbeat { ExperimentId = victim, AttemptNumber = 1, AgentId = a, Step = 9999, SentAt = now });
                await bus.Publish(new CheckpointSaved { ExperimentId = victim, AttemptNumber = 1, Step = 9999, BlobHash = new string('f', 64), SizeBytes = 1 });
                await bus.Publish(new AttemptSucceeded
                {
                    ExperimentId = victim, AttemptNumber = 1, Step = 4, FinishedAt = now, BackboneBlob = new string('e', 64),
                    Results = [new FinalResult("test", "classification", "fog", "accuracy", 0.999)],
                });
                await bus.Publish(new AttemptFailed { ExperimentId = victim, AttemptNumber = 1, Reason = "forged", FailedAt = now });
                await bus.Publish(new AttemptLogged { ExperimentId = victim, AttemptNumber = 1, Lines = [new LogLine(0, now, "Error", "forged log line")] });
                await bus.Publish(new AgentAnnounced { AgentId = a, QueueName = aQueue, Slots = 1, FreeSlots = 1, SentAt = now, Running = [new RunningAttempt(victim, 1, 0)] });
                await bus.Publish(new AgentAnnounced { AgentId = forgerId, QueueName = aQueue, Slots = 4, FreeSlots = 4, SentAt = now });
                await bus.Publish(new AgentStopping { AgentId = a });
            }

            // Eleven forgeries, each audited with the forger's broker identity.
            await Eventually.TrueAsync(async () =>
            {
                await using var db = platform.Db();
                return await db.RefusedMessages.CountAsync(r => r.Sender == SenderIdentity.AgentUser(forgerId)) >= 11;
            }, TimeSpan.FromMinutes(1), () => "not every forgery was refused and audited");
            await using (var db = platform.Db())
            {
                var refused = await db.RefusedMessages.AsNoTracking().Where(r => r.Sender == SenderIdentity.AgentUser(forgerId)).ToListAsync();
                Assert.Equal(11, refused.Count);
                Assert.Equal(
                    ["AgentAnnounced", "AgentStopping", "AttemptFailed", "AttemptHeartbeat", "AttemptLogged", "AttemptProgressed", "AttemptStarted", "AttemptSucceeded", "CheckpointSaved"],
                    refused.Select(r => r.MessageType).Distinct().Order().ToList());
                Assert.All(refused.Where(r => r.MessageType.StartsWith("Attempt") || r.MessageType == "CheckpointSaved"), r => Assert.Equal(victim, r.ExperimentId));
                Assert.Contains(refused, r => r.Reason.Contains("held by another agent"));
                Assert.Contains(refused, r => r.Reason.Contains("not its own"));
                // Nothing of it was applied: A still serves, the victim still runs.
                Assert.False((await db.Agents.AsNoTracking().SingleAsync(x => x.Id == a)).Stopped);
                Assert.Equal(ExperimentStatus.Running, (await db.Experiments.AsNoTracking().SingleAsync(x => x.Id == victim)).Status);
                Assert.False(await db.Agents.AnyAsync(x => x.Id == forgerId));
            }

            // The forger's own announcement (its identity, its queue) listing A's attempt: an announcement is the heartbeat
            // of the attempts it lists, but only of those its agent holds — the victim's step and lease stay A's.
            var forgerQueue = QueueNames.Agent(platform.QueuePrefix, forgerId);
            await using (var forger = await AgentBus.StartAsync(forgerSettings))
            {
                // First, bodies the fleet queue cannot read, under the forger's own identity (the broker lets it publish
                // them): dropped with a log line, never stored or fatal — the announcement after them is still read.
                await using (var rawConnection = await ForgerConnectionFactory().CreateConnectionAsync())
                await using (var channel = await rawConnection.CreateChannelAsync())
                {
                    foreach (var (type, body) in new[] { ("application/vnd.masstransit+json", "{}"), ("application/vnd.masstransit+json", "\u0001{garbage"), ("text/plain", "hello") })
                        await channel.BasicPublishAsync(platform.QueuePrefix + "AdapterLab.Contracts.Messages:AttemptHeartbeat", "", false,
                            new BasicProperties { UserId = SenderIdentity.AgentUser(forgerId), ContentType = type }, Encoding.UTF8.GetBytes(body));
                }
                await forger.Bus.Publish(new AgentAnnounced
                {
                    AgentId = forgerId, QueueName = forgerQueue, Slots = 1, FreeSlots = 0, SentAt = DateTimeOffset.UtcNow, Running = [new RunningAttempt(victim, 1, 9999)],
                });
                await Eventually.TrueAsync(async () =>
                {
                    await using var db = platform.Db();
                    return await db.Agents.AnyAsync(x => x.Id == forgerId);
                }, TimeSpan.FromMinutes(1), () => "the forger's own announcement was not stored");
                await forger.Bus.Publish(new AgentStopping { AgentId = forgerId });
            }
            await using (var db = platform.Db())
                Assert.True((await db.Attempts.AsNoTracking().SingleAsync(x => x.ExperimentId == victim)).Step < 9999, "another agent's announcement moved the victim's step");

            // B's agent token reaches nothing of A's: not the backbone A was sent, and no upload (B holds no attempt);
            // A's own token reads it.
            string pinned;
            await using (var db = platform.Db())
                pinned = (await db.Attempts.AsNoTracking().SingleAsync(x => x.ExperimentId == victim)).BackboneBlob!;
            using (var forgerHttp = new HttpClient { BaseAddress = platform.WebAddress })
            {
                forgerHttp.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await platform.AgentTokenOfAsync(forgerId));
                Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await forgerHttp.GetAsync($"/api/agent/blobs/{pinned}")).StatusCode);
                var junk = Encoding.UTF8.GetBytes("forged checkpoint");
                var junkHash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(junk));
                Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await forgerHttp.PutAsync($"/api/agent/blobs/{junkHash}", new ByteArrayContent(junk))).StatusCode);
            }
            using (var ownerHttp = new HttpClient { BaseAddress = platform.WebAddress })
            {
                ownerHttp.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await platform.AgentTokenOfAsync(a));
                using var ok = await ownerHttp.GetAsync($"/api/agent/blobs/{pinned}", HttpCompletionOption.ResponseHeadersRead);
                Assert.Equal(System.Net.HttpStatusCode.OK, ok.StatusCode);
            }
            await using (var db = platform.Db())
                Assert.Equal(2, await db.RefusedMessages.CountAsync(r => r.Sender == "agent-token:" + forgerId));

            // What the broker itself refuses B: a user_id that is not its own, A's queue, and users' intent.
            await using var connection = await ForgerConnectionFactory().CreateConnectionAsync();
            var reportExchange = platform.QueuePrefix + "AdapterLab.Contracts.Messages:AttemptHeartbeat";
            Assert.Equal(406, await BrokerProbe.RefusedAsync(connection, ch => ch.BasicPublishAsync(reportExchange, "", false,
                new BasicProperties { UserId = SenderIdentity.AgentUser(a) }, Encoding.UTF8.GetBytes("{}")).AsTask()));
            Assert.Equal(403, await BrokerProbe.RefusedAsync(connection, ch => ch.BasicGetAsync(aQueue, autoAck: true)));
            Assert.Equal(403, await BrokerProbe.RefusedAsync(connection, ch => ch.BasicPublishAsync(aQueue, "", false,
                new BasicProperties { UserId = SenderIdentity.AgentUser(forgerId) }, Encoding.UTF8.GetBytes("{}")).AsTask()));
            Assert.Equal(403, await BrokerProbe.RefusedAsync(connection, ch => ch.BasicPublishAsync(platform.QueuePrefix + "AdapterLab.Contracts.Messages:CancelRequested", "", false,
                new BasicProperties { UserId = SenderIdentity.AgentUser(forgerId) }, Encoding.UTF8.GetBytes("{}")).AsTask()));
        }
        finally
        {
            platform.Gate.Open();
        }

        // A finishes its attempt as it would have alone.
        await platform.WaitForStatusAsync(victim, "Succeeded", TimeSpan.FromMinutes(3));
        await using var check = platform.Db();
        var results = await check.FinalResults.AsNoTracking().Where(r => r.ExperimentId == victim).ToListAsync();
        Assert.NotEmpty(results);
        Assert.DoesNotContain(results, r => r.Value == 0.999);
        Assert.False(await check.MetricPoints.AnyAsync(p => p.ExperimentId == victim && (p.Step == 9999 || p.Name == "forged")));
        Assert.False(await check.Checkpoints.AnyAsync(c => c.ExperimentId == victim && c.BlobHash == new string('f', 64)));
        var transitions = await check.StateTransitions.Where(t => t.ExperimentId == victim).OrderBy(t => t.Id).ToListAsync();
        Assert.Equal(["Queued", "Dispatched", "Running", "Succeeded"], transitions.Select(t => t.To));
        Assert.All(transitions, t => Assert.DoesNotContain("forged", t.Reason ?? ""));
        // The attempt's log is A's own, shipped through the platform: its progress lines, none of B's.
        var lines = await check.AttemptLogLines.AsNoTracking().Where(l => l.ExperimentId == victim).OrderBy(l => l.Sequence).ToListAsync();
        Assert.DoesNotContain(lines, l => l.Message.Contains("forged"));
        Assert.Contains(lines, l => l.Message.StartsWith("Prepared on cpu"));
        Assert.Contains(lines, l => l.Message.StartsWith("step 4/4"));
    }
}
