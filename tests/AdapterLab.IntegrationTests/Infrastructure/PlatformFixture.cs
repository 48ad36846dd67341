using System.Net.Http.Json;
using System.Text.Json;
using AdapterLab.Data;
using AdapterLab.GpuAgent;
using AdapterLab.Orchestrator;
using AdapterLab.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AdapterLab.IntegrationTests.Infrastructure;

/// <summary>
/// The whole platform in one test process: web, orchestrator and one agent, each its own host with its own container,
/// against a fresh PostgreSQL database and an isolated RabbitMQ prefix. Short heartbeats, one torch thread.
/// </summary>
public class PlatformFixture : IAsyncLifetime
{
    private readonly List<WebApplication> _hosts = [];
    private readonly List<WebApplication> _orchestrators = [];
    private readonly List<(string Name, Uri Address)> _addresses = [];

    /// <summary>Every in-process host started so far (<c>Web</c>, <c>Orchestrator</c>, <c>GpuAgent</c>) and where it listens.</summary>
    public IReadOnlyList<(string Name, Uri Address)> HostAddresses => _addresses;

    public string ConnectionString { get; private set; } = "";
    public string ApiKey { get; } = "test-admin-" + Guid.NewGuid().ToString("N");
    public string AgentToken { get; } = "test-agent-" + Guid.NewGuid().ToString("N");
    public string AgentId { get; } = "test-agent-" + Guid.NewGuid().ToString("N")[..8];
    public Uri WebAddress { get; private set; } = null!;
    public HttpClient Api { get; private set; } = null!;

    /// <summary>The web host's services (e.g. its bus, to publish a message as any part of the platform could).</summary>
    public IServiceProvider WebServices { get; private set; } = null!;

    /// <summary>The orchestrator host's services (e.g. its metric point writer).</summary>
    public IServiceProvider OrchestratorServices { get; private set; } = null!;
    protected string Prefix { get; } = $"t{Guid.NewGuid().ToString("N")[..8]}-";
    /// <summary>This platform's queue and exchange prefix on the shared broker.</summary>
    public string QueuePrefix => Prefix;
    /// <summary>The settings every host of this platform starts with.</summary>
    public Dictionary<string, string?> Settings { get; } = new();

    /// <summary>The servers this platform runs on (the shared test pair unless a fixture brings its own).</summary>
    public TestServers Servers { get; protected set; } = null!;

    /// <summary>Whether an agent runs inside the test process from the start (fault tests start agent processes instead).</summary>
    protected virtual bool StartsInProcessAgent => true;

    /// <summary>Where the web listens (a free loopback port unless a fixture needs a fixed one).</summary>
    protected virtual string WebListenUrl => "http://127.0.0.1:0";

    /// <summary>Last chance to adjust a host before it is built (e.g. register a bus configuration hook).</summary>
    protected virtual void ConfigureHost(string name, WebApplicationBuilder builder)
    {
    }

    public virtual async Task InitializeAsync()
    {
        Servers ??= TestEnvironment.Servers;
        ConnectionString = await Servers.CreateDatabaseAsync("platform");
        foreach (var kv in Servers.RabbitSettings(Prefix)) Settings[kv.Key] = kv.Value;
        Settings["ConnectionStrings:Platform"] = ConnectionString;
        // The platform's own logs stay at Information (they explain a failure); the frameworks' chatter does not.
        Settings["Logging:LogLevel:Default"] = "Warning";
        Settings["Logging:LogLevel:AdapterLab"] = "Information";
        Settings["ADAPTERLAB_BOOTSTRAP_API_KEY"] = ApiKey;
        Settings["ADAPTERLAB_BOOTSTRAP_AGENT_TOKEN"] = AgentToken;
        Settings["Orchestrator:HeartbeatSeconds"] = "1";
        Settings["Orchestrator:DispatchIntervalSeconds"] = "1";
        Settings["Agent:HeartbeatSeconds"] = "1";
        Settings["Agent:Threads"] = "1";
        Settings["Agent:Pool"] = "cpu";
        Settings["Agent:Slots"] = "1";
        Settings["Platform:DataRoot"] = Path.Combine(Path.GetTempPath(), "adapterlab-tests", Prefix, "data");

        var web = await StartAsync(WebApp.Create, "Web");
        WebServices = web.Services;
        WebAddress = new Uri(web.Urls.First());
        Api = new HttpClient { BaseAddress = WebAddress, Timeout = TimeSpan.FromSeconds(60) };
        Api.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);

        OrchestratorServices = (await StartAsync(OrchestratorApp.Create, "Orchestrator")).Services;
        if (StartsInProcessAgent) await StartAgentAsync(AgentId);
    }

    /// <summary>Starts one more orchestrator host in this process (replicas share the database and the queues); returns its services.</summary>
    public async Task<IServiceProvider> StartOrchestratorAsync() => (await StartAsync(OrchestratorApp.Create, "Orchestrator")).Services;

    /// <summary>
    /// Stops every orchestrator host of this platform (as a deployment's restart would: their in-memory state is gone,
    /// messages for them wait in the broker); <see cref="StartOrchestratorAsync"/> brings a fresh one, which becomes
    /// <see cref="OrchestratorServices"/>.
    /// </summary>
    public async Task StopOrchestratorsAsync()
    {
        foreach (var host in _orchestrators.ToList())
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await host.StopAsync(cts.Token);
            await host.DisposeAsync();
            _hosts.Remove(host);
            _orchestrators.Remove(host);
        }
    }

    /// <summary>Starts a fresh orchestrator after <see cref="StopOrchestratorsAsync"/>; it becomes <see cref="OrchestratorServices"/>.</summary>
    public async Task RestartOrchestratorAsync() => OrchestratorServices = await StartOrchestratorAsync();

    /// <summary>Starts one more agent host in this process (its own id, broker identity, queue and work directory).</summary>
    public async Task<WebApplication> StartAgentAsync(string agentId, string pool = "cpu", int slots = 1) =>
        await StartAsync(AgentApp.Create, "GpuAgent", await AgentSettingsAsync(agentId, pool, slots));

    /// <summary>Starts an agent host in this process with exactly <paramref name="settings"/> over the platform's (no token or broker user issued for it).</summary>
    public Task<WebApplication> StartAgentWithAsync(Dictionary<string, string?> settings) => StartAsync(AgentApp.Create, "GpuAgent", settings);

    /// <summary>Starts an agent as a separate process (the real binary), which a test may kill; <paramref name="extra"/> overrides settings.</summary>
    public async Task<AgentProcess> StartAgentProcessAsync(string agentId, string pool = "cpu", int slots = 1, IReadOnlyDictionary<string, string?>? extra = null, string[]? prefix = null)
    {
        var settings = new Dictionary<string, string?>(Settings.Where(kv => kv.Key.StartsWith("RabbitMq:", StringComparison.Ordinal) || kv.Key.StartsWith("Agent:", StringComparison.Ordinal)));
        foreach (var kv in await AgentSettingsAsync(agentId, pool, slots)) settings[kv.Key] = kv.Value;
        foreach (var kv in extra ?? new Dictionary<string, string?>()) settings[kv.Key] = kv.Value;
        return AgentProcess.Start(agentId, settings, prefix);
    }

    /// <summary>
    /// Starts an inference host in this process with its own <c>models:serve</c> key (issued through the admin API) and
    /// points the web at it (<c>Platform:InferenceUrl</c>, <c>Platform:InferenceToken</c>); returns the host.
    /// </summary>
    public async Task<WebApplication> StartInferenceAsync(Dictionary<string, string?>? extra = null)
    {
        using var response = await Api.PostAsJsonAsync("/api/keys", new { name = "inference-" + Guid.NewGuid().ToString("N")[..8], scopes = new[] { "models:serve" } });
        response.EnsureSuccessStatusCode();
        var key = (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("key").GetString()!;
        var caller = "inference-caller-" + Guid.NewGuid().ToString("N");
        var settings = new Dictionary<string, string?>
        {
            ["Inference:ApiUrl"] = WebAddress.ToString(),
            ["Inference:ApiKey"] = key,
            ["Inference:CallerToken"] = caller,
            ["Inference:DataRoot"] = Settings["Platform:DataRoot"],
            ["Inference:WorkDirectory"] = Path.Combine(Path.GetTempPath(), "adapterlab-tests", Prefix, "inference"),
            ["Inference:Threads"] = "1",
        };
        foreach (var kv in extra ?? []) settings[kv.Key] = kv.Value;
        var host = await StartAsync(AdapterLab.Inference.InferenceApp.Create, "Inference", settings);
        var web = (IConfigurationRoot)WebServices.GetRequiredService<IConfiguration>();
        web["Platform:InferenceUrl"] = host.Urls.First();
        web["Platform:InferenceToken"] = caller;
        return host;
    }

    private readonly Dictionary<string, string> _agentTokens = [];

    /// <summary>
    /// The agent token of <paramref name="agentId"/>: issued once by the admin API under the agent's id (a token belongs to
    /// the agent its name names, and opens only what that agent's leases name), reused when the agent restarts.
    /// </summary>
    public async Task<string> AgentTokenOfAsync(string agentId)
    {
        lock (_agentTokens)
            if (_agentTokens.TryGetValue(agentId, out var known)) return known;
        using var response = await Api.PostAsJsonAsync("/api/agent-tokens", new { name = agentId });
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("token").GetString()!;
        lock (_agentTokens) return _agentTokens.TryAdd(agentId, token) ? token : _agentTokens[agentId];
    }

    /// <summary>An agent's settings, its own agent token and broker user (<c>agent:&lt;id&gt;</c>, least privilege) included.</summary>
    public async Task<Dictionary<string, string?>> AgentSettingsAsync(string agentId, string pool = "cpu", int slots = 1)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Agent:Id"] = agentId,
            ["Agent:Pool"] = pool,
            ["Agent:Slots"] = slots.ToString(),
            ["Agent:ApiUrl"] = WebAddress.ToString(),
            ["Agent:Token"] = await AgentTokenOfAsync(agentId),
            ["Agent:DataRoot"] = Settings["Platform:DataRoot"],
            ["Agent:WorkDirectory"] = Path.Combine(Path.GetTempPath(), "adapterlab-tests", Prefix, agentId),
        };
        foreach (var kv in await Servers.AgentBrokerSettingsAsync(Prefix, agentId)) settings[kv.Key] = kv.Value;
        return settings;
    }

    /// <summary>
    /// The broker settings of a bus that speaks as agent <paramref name="agentId"/> (its own broker user, the platform's
    /// host and queue prefix): for tests that publish an agent's reports by hand (<see cref="AgentBus"/>).
    /// </summary>
    public async Task<Dictionary<string, string?>> AgentBusSettingsAsync(string agentId)
    {
        var settings = new Dictionary<string, string?>(Settings.Where(kv => kv.Key.StartsWith("RabbitMq:", StringComparison.Ordinal)));
        foreach (var kv in await AgentSettingsAsync(agentId)) if (kv.Key.StartsWith("RabbitMq:", StringComparison.Ordinal)) settings[kv.Key] = kv.Value;
        return settings;
    }

    private async Task<WebApplication> StartAsync(Func<string[], Action<WebApplicationBuilder>?, WebApplication> create, string name, Dictionary<string, string?>? extra = null)
    {
        var app = create(["--environment=Development", $"--applicationName=AdapterLab.{name}"], b =>
        {
            b.Configuration.AddInMemoryCollection(Settings);
            if (extra is not null) b.Configuration.AddInMemoryCollection(extra);
            b.WebHost.UseUrls(name == "Web" ? WebListenUrl : "http://127.0.0.1:0");
            ConfigureHost(name, b);
        });
        await app.StartAsync();
        _hosts.Add(app);
        if (name == "Orchestrator") _orchestrators.Add(app);
        lock (_addresses) _addresses.Add((name, new Uri(app.Urls.First())));
        return app;
    }

    public PlatformDbContext Db()
    {
        var o = new DbContextOptionsBuilder<PlatformDbContext>();
        DataServiceCollectionExtensions.Configure(o, ConnectionString);
        return new PlatformDbContext(o.Options);
    }

    /// <summary>Submits a spec (JSON) and returns the new experiment id; fails the test on anything but 201.</summary>
    public async Task<Guid> SubmitAsync(object spec)
    {
        using var response = await Api.PostAsJsonAsync("/api/experiments", spec, JsonSerializerOptions.Web);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"submit returned {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();
    }

    public async Task<JsonElement> GetExperimentAsync(Guid id)
    {
        var body = await Api.GetStringAsync($"/api/experiments/{id}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Polls the API until the experiment reaches <paramref name="status"/>; fails fast on another terminal state.</summary>
    public async Task<JsonElement> WaitForStatusAsync(Guid id, string status, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonElement last = default;
        while (DateTime.UtcNow < deadline)
        {
            last = await GetExperimentAsync(id);
            var s = last.GetProperty("status").GetString();
            if (s == status) return last;
            if (s is "Succeeded" or "Failed" or "Cancelled" && s != status)
                Assert.Fail($"experiment {id} ended {s}, expected {status}: {last}");
            await Task.Delay(250);
        }
        Assert.Fail($"experiment {id} did not reach {status} within {timeout}: {last}");
        return last;
    }

    /// <summary>Asks for a retry and waits until the orchestrator has put the experiment back in play.</summary>
    public async Task RetryAsync(Guid id)
    {
        using var response = await Api.PostAsync($"/api/experiments/{id}/retry", null);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        await Eventually.TrueAsync(async () => (await GetExperimentAsync(id)).GetProperty("status").GetString() is not ("Failed" or "Cancelled"),
            TimeSpan.FromSeconds(30), () => $"experiment {id} was not requeued after a retry");
    }

    public virtual async Task DisposeAsync()
    {
        Api?.Dispose();
        for (int i = _hosts.Count - 1; i >= 0; i--)
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                await _hosts[i].StopAsync(cts.Token);
            }
            catch (Exception)
            {
                // A host that fails to stop cleanly must not hide the test's own result.
            }
            await _hosts[i].DisposeAsync();
        }
        if (ConnectionString.Length > 0) await Servers.DropDatabaseAsync(ConnectionString);
    }
}
