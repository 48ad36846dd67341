using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AdapterLab.Contracts.Messages;
using AdapterLab.GpuAgent;
using AdapterLab.IntegrationTests.Infrastructure;
using AdapterLab.Messaging;
using Microsoft.EntityFrameworkCore;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace AdapterLab.IntegrationTests.Security;

/// <summary>
/// A platform whose web takes the port the test broker's HTTP auth backend asks (<c>ADAPTERLAB_TEST_BROKER_AUTH_PORT</c>,
/// set by <c>./platform test</c>), and no agent with a broker user of its own: agents here log in with their tokens.
/// </summary>
public sealed class BrokerAuthPlatform : PlatformFixture
{
    public static int Port => int.TryParse(Environment.GetEnvironmentVariable("ADAPTERLAB_TEST_BROKER_AUTH_PORT"), out var p) ? p
        : throw new InvalidOperationException("ADAPTERLAB_TEST_BROKER_AUTH_PORT is not set: run the tests with ./platform test (the broker's HTTP auth backend asks that port)");

    protected override bool StartsInProcessAgent => false;
    protected override string WebListenUrl => $"http://127.0.0.1:{Port}";

    /// <summary>An agent with only an id and token (or only an enrolment secret): no broker user, no broker password.</summary>
    public Dictionary<string, string?> TokenOnlyAgent(string agentId, string? token, string? enrolmentSecret = null) => new()
    {
        ["Agent:Id"] = agentId, ["Agent:Token"] = token ?? "", ["Agent:EnrolmentSecret"] = enrolmentSecret ?? "",
        ["Agent:ApiUrl"] = WebAddress.ToString(), ["Agent:DataRoot"] = Settings["Platform:DataRoot"],
        ["Agent:WorkDirectory"] = Path.Combine(Path.GetTempPath(), "adapterlab-tests", QueuePrefix, agentId),
        ["RabbitMq:Username"] = "", ["RabbitMq:Password"] = "",
    };

    public ConnectionFactory Broker(string user, string password) => new()
    {
        HostName = Servers.RabbitHost, Port = Servers.RabbitPort, VirtualHost = Servers.RabbitVirtualHost, UserName = user, Password = password,
        AutomaticRecoveryEnabled = false,
    };
}

/// <summary>
/// RabbitMQ's HTTP auth backend answered by the web (real broker, real web): an agent's token is its broker credential
/// with an agent's least privilege, revoking it revokes broker access at once (new connections refused, reports on an
/// open one refused and audited, no more work), and a pool's enrolment secret gives a new agent its own identity once.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BrokerAuthCollection : ICollectionFixture<BrokerAuthPlatform>
{
    public const string Name = "broker-auth";
}

[Collection(BrokerAuthCollection.Name)]
public sealed class BrokerAuthTests(BrokerAuthPlatform platform)
{
    private static async Task<bool> LoginRefusedAsync(ConnectionFactory factory)
    {
        try
        {
            await using var connection = await factory.CreateConnectionAsync();
            return false;
        }
        catch (Exception ex) when (ex is BrokerUnreachableException or AuthenticationFailureException or OperationInterruptedException)
        {
            return true;
        }
    }

    [Fact]
    public async Task An_agent_trains_with_its_token_as_broker_credential_and_revoking_it_revokes_broker_access()
    {
        var agentId = "http-" + Guid.NewGuid().ToString("N")[..6];
        var token = await platform.AgentTokenOfAsync(agentId);
        await platform.StartAgentWithAsync(platform.TokenOnlyAgent(agentId, token));
        var pretrain = await platform.SubmitAsync(Specs.Pretrain("http-" + Guid.NewGuid().ToString("N")[..6], steps: 2));
        await platform.WaitForStatusAsync(pretrain, "Succeeded", TimeSpan.FromMinutes(4));
        await using (var db = platform.Db())
            Assert.Equal(agentId, (await db.Attempts.AsNoTracking().SingleAsync(a => a.ExperimentId == pretrain)).AgentId);

        var user = SenderIdentity.AgentUser(agentId);
        // A wrong password, another agent's token, and a service name are refused at login.
        var otherToken = await platform.AgentTokenOfAsync("http-other-" + Guid.NewGuid().ToString("N")[..6]);
        Assert.True(await LoginRefusedAsync(platform.Broker(user, "alt_wrong")));
        Assert.True(await LoginRefusedAsync(platform.Broker(user, otherToken)));
        Assert.True(await LoginRefusedAsync(platform.Broker("adapterlab-orchestrator", token)));

        // With its own token: an agent's least privilege, evaluated by the web.
        await using (var connection = await platform.Broker(user, token).CreateConnectionAsync())
        {
            var otherQueue = QueueNames.Agent(platform.QueuePrefix, "http-victim");
            Assert.Equal(403, await BrokerProbe.RefusedAsync(connection, ch => ch.BasicGetAsync(otherQueue, autoAck: true)));
            Assert.Equal(403, await BrokerProbe.RefusedAsync(connection, ch => ch.QueueDeclareAsync(otherQueue, durable: true, exclusive: false, autoDelete: false)));
            Assert.Equal(403, await BrokerProbe.RefusedAsync(connection, ch => ch.BasicPublishAsync(platform.QueuePrefix + "AdapterLab.Contracts.Messages:CancelRequested", "", false,
                new BasicProperties { UserId = user }, Encoding.UTF8.GetBytes("{}")).AsTask()));
            Assert.Equal(403, await BrokerProbe.RefusedAsync(connection, ch => ch.ExchangeDeclareAsync(platform.QueuePrefix + "AdapterLab.Contracts.Messages:RunExperiment", "fanout", durable: true)));
            Assert.Equal(406, await BrokerProbe.RefusedAsync(connection, ch => ch.BasicPublishAsync(platform.QueuePrefix + "AdapterLab.Contracts.Messages:AttemptHeartbeat", "", false,
                new BasicProperties { UserId = SenderIdentity.AgentUser("http-victim") }, Encoding.UTF8.GetBytes("{}")).AsTask()));
        }

        // Revoked: no new connection, and the broker refuses its next permission check on a connection opened before.
        await using var open = await platform.Broker(user, token).CreateConnectionAsync();
        var heartbeatExchange = platform.QueuePrefix + "AdapterLab.Contracts.Messages:AttemptHeartbeat";
        using var self = new HttpClient { BaseAddress = platform.WebAddress };
        self.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        Assert.Equal(agentId, (await self.GetFromJsonAsync<JsonElement>("/api/agent/whoami")).GetProperty("agent").GetString());
        await RevokeAsync(agentId);
        Assert.Equal(HttpStatusCode.Unauthorized, (await self.GetAsync("/api/agent/whoami")).StatusCode);
        Assert.True(await LoginRefusedAsync(platform.Broker(user, token)));
        // 403 when the broker refuses the publish on the open connection; 530 when it has re-checked the user first and
        // closed the whole connection (access to the vhost refused) — seen once in CI. Either way the revoked agent is out.
        Assert.Contains(await BrokerProbe.RefusedAsync(open, ch => ch.BasicPublishAsync(heartbeatExchange, "", false,
            new BasicProperties { UserId = user }, Encoding.UTF8.GetBytes("{}")).AsTask()), new[] { 403, 530 });

        // Behind the broker, the orchestrator: a report from an agent without a live token is refused and audited even
        // when the broker lets it through (here: an agent that also has a broker-side user; in production a busy channel's
        // cached permission).
        var second = "http2-" + Guid.NewGuid().ToString("N")[..6];
        var secondSettings = await platform.AgentBusSettingsAsync(second);
        await RevokeAsync(second);
        var revokedAt = DateTimeOffset.UtcNow.AddSeconds(-1);
        // The orchestrator reads the fleet's standings at most once per AgentStandings.Ttl: a revocation counts from the
        // next read (a report sent within that time may still pass — seen once in CI as a missed refusal).
        await Task.Delay(AdapterLab.Orchestrator.Lifecycle.AgentStandings.Ttl + TimeSpan.FromSeconds(1));
        await using (var bus = await AgentBus.StartAsync(secondSettings))
            await bus.Bus.Publish(new AgentStopping { AgentId = second });
        await Eventually.TrueAsync(async () =>
        {
            await using var db = platform.Db();
            return await db.RefusedMessages.AnyAsync(r => r.Sender == SenderIdentity.AgentUser(second) && r.At > revokedAt && r.Reason.Contains("no live agent token"));
        }, TimeSpan.FromSeconds(30), () => "a report from a revoked agent was not refused by the orchestrator");

        // And it gets no more work.
        var next = await platform.SubmitAsync(Specs.Pretrain("http-" + Guid.NewGuid().ToString("N")[..6], steps: 2));
        await Task.Delay(TimeSpan.FromSeconds(4));
        await using (var db = platform.Db())
            Assert.False(await db.Attempts.AnyAsync(a => a.ExperimentId == next));
    }

    [Fact]
    public async Task A_pool_enrolment_secret_gives_a_new_agent_its_own_identity_once()
    {
        using (var bad = await platform.Api.PostAsJsonAsync("/api/agent-enrolments", new { name = "bad", pool = "Not A Pool" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Contains("pool", await bad.Content.ReadAsStringAsync());
        }
        using var created = await platform.Api.PostAsJsonAsync("/api/agent-enrolments", new { name = "autoscaled cpu", pool = "cpu", maxAgents = 1 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var enrolment = await created.Content.ReadFromJsonAsync<JsonElement>();
        var secret = enrolment.GetProperty("secret").GetString()!;

        // The agent has only the secret: it enrols under the id it asks for, keeps its identity, and joins pool cpu.
        var wanted = "enrolled-" + Guid.NewGuid().ToString("N")[..6];
        var settings = platform.TokenOnlyAgent(wanted, token: null, enrolmentSecret: secret);
        await platform.StartAgentWithAsync(settings);
        await Eventually.TrueAsync(async () =>
        {
            await using var db = platform.Db();
            return await db.Agents.AnyAsync(a => a.Id == wanted && a.Pool == "cpu" && !a.Stopped);
        }, TimeSpan.FromSeconds(60), () => "the enrolled agent never announced itself");
        var identityFile = Path.Combine(settings["Agent:WorkDirectory"]!, AgentIdentity.FileName);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(identityFile));
        var identity = JsonSerializer.Deserialize<JsonElement>(File.ReadAllText(identityFile));
        Assert.Equal(wanted, identity.GetProperty("agentId").GetString());
        var token = identity.GetProperty("token").GetString()!;
        await using (var db = platform.Db())
            Assert.Equal("cpu", (await db.AgentTokens.SingleAsync(t => t.Name == wanted)).Pool);

        // Once: the secret is spent (max 1 agent); unknown secrets and taken ids are refused.
        using (var again = await platform.Api.PostAsJsonAsync("/api/agents/enrol", new { secret }))
            Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
        using (var unknown = await platform.Api.PostAsJsonAsync("/api/agents/enrol", new { secret = "ale_nope" }))
            Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        using (var badId = await platform.Api.PostAsJsonAsync("/api/agents/enrol", new { secret, agentId = "../evil" }))
            Assert.Equal(HttpStatusCode.BadRequest, badId.StatusCode);

        // Bound to its pool: announcing itself in another pool is refused and audited.
        var since = DateTimeOffset.UtcNow;
        await using (var forger = await AgentBus.StartAsync(new Dictionary<string, string?>(platform.Settings.Where(kv => kv.Key.StartsWith("RabbitMq:", StringComparison.Ordinal)))
        {
            ["RabbitMq:Username"] = SenderIdentity.AgentUser(wanted), ["RabbitMq:Password"] = token,
        }))
            await forger.Bus.Publish(new AgentAnnounced
            {
                AgentId = wanted, QueueName = QueueNames.Agent(platform.QueuePrefix, wanted), Pool = "gpu-a100", Slots = 8, FreeSlots = 8, SentAt = DateTimeOffset.UtcNow,
            });
        await Eventually.TrueAsync(async () =>
        {
            await using var db = platform.Db();
            return await db.RefusedMessages.AnyAsync(r => r.Sender == SenderIdentity.AgentUser(wanted) && r.At > since && r.Reason.Contains("may not join pool 'gpu-a100'"));
        }, TimeSpan.FromSeconds(30), () => "the announcement in another pool was not refused");
        await using (var db = platform.Db())
            Assert.Equal("cpu", (await db.Agents.AsNoTracking().SingleAsync(a => a.Id == wanted)).Pool);

        // Revoking the enrolment with its tokens ends the agent's broker access.
        using (var revoke = await platform.Api.DeleteAsync($"/api/agent-enrolments/{enrolment.GetProperty("id").GetGuid()}?revokeTokens=true"))
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        Assert.True(await LoginRefusedAsync(platform.Broker(SenderIdentity.AgentUser(wanted), token)));
        var list = await platform.Api.GetFromJsonAsync<JsonElement>("/api/agent-enrolments");
        var listed = list.EnumerateArray().Single(e => e.GetProperty("name").GetString() == "autoscaled cpu");
        Assert.False(listed.TryGetProperty("secret", out _));
        Assert.NotEqual(JsonValueKind.Null, listed.GetProperty("revokedAt").ValueKind);
        Assert.Equal(1, listed.GetProperty("enrolled").GetInt32());
    }

    private async Task RevokeAsync(string agentId)
    {
        var tokens = await platform.Api.GetFromJsonAsync<JsonElement>("/api/agent-tokens");
        foreach (var t in tokens.EnumerateArray().Where(t => t.GetProperty("name").GetString() == agentId))
        {
            using var revoke = await platform.Api.DeleteAsync($"/api/agent-tokens/{t.GetProperty("id").GetGuid()}");
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        }
    }
}
