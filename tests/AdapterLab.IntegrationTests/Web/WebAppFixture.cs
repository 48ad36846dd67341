using System.Net.Http.Headers;
using AdapterLab.Data;
using AdapterLab.IntegrationTests.Infrastructure;
using AdapterLab.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AdapterLab.IntegrationTests.Web;

/// <summary>
/// The web service hosted in-process on a free loopback port, against a fresh database and its own broker prefix,
/// with a bootstrap admin API key and agent token.
/// </summary>
public sealed class WebAppFixture : IAsyncLifetime
{
    public const string AdminKey = "test-admin-key-0123456789";
    public const string AgentToken = "test-agent-token-0123456789";
    public const string InferenceKey = "test-inference-key-0123456789";

    private WebApplication? _app;

    public string ConnectionString { get; private set; } = "";
    public WebApplication App => _app ?? throw new InvalidOperationException("not started");
    public Uri BaseAddress { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // At least 5 characters: TestEnvironment cuts the generated name at 40.
        ConnectionString = await TestEnvironment.CreateDatabaseAsync("webapi");
        var prefix = $"t{Guid.NewGuid():N}"[..9] + "-";
        var settings = TestEnvironment.RabbitSettings(prefix);
        settings["ConnectionStrings:Platform"] = ConnectionString;
        settings["ADAPTERLAB_BOOTSTRAP_API_KEY"] = AdminKey;
        settings["ADAPTERLAB_BOOTSTRAP_AGENT_TOKEN"] = AgentToken;
        settings["ADAPTERLAB_BOOTSTRAP_INFERENCE_KEY"] = InferenceKey;
        settings["Logging:LogLevel:Default"] = "Warning";
        settings["Agents:MaxUploadBytes"] = (8 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture);
        _app = WebApp.Create([], b =>
        {
            b.WebHost.UseUrls("http://127.0.0.1:0");
            b.Configuration.AddInMemoryCollection(settings);
        });
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address);
    }

    /// <summary>A client with no credentials.</summary>
    public HttpClient Anonymous() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>A client presenting <paramref name="apiKey"/> (default: the bootstrap admin key).</summary>
    public HttpClient WithApiKey(string apiKey = AdminKey)
    {
        var client = Anonymous();
        client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        return client;
    }

    /// <summary>The agent the bootstrap agent token belongs to (the name it is registered under).</summary>
    public const string BootstrapAgent = "bootstrap-agent";

    /// <summary>
    /// Gives the bootstrap agent a Running attempt of a planted experiment, pinned to <paramref name="backboneBlob"/> if
    /// given, as a dispatch would: its token may then upload, and read that blob. Returns the experiment id.
    /// </summary>
    public async Task<Guid> HoldAttemptAsync(string? backboneBlob = null)
    {
        await using var db = Db();
        var e = PlantedExperiments.Add(db, "lease-" + Guid.NewGuid().ToString("N")[..8], 1, DateTimeOffset.UtcNow);
        e.Status = AdapterLab.Contracts.Lifecycle.ExperimentStatus.Running;
        e.AttemptCount = 1;
        db.Attempts.Add(new AdapterLab.Data.Entities.Attempt
        {
            ExperimentId = e.Id, Number = 1, AgentId = BootstrapAgent, Status = AdapterLab.Contracts.Lifecycle.ExperimentStatus.Running,
            DispatchedAt = DateTimeOffset.UtcNow, LeaseExpiresAt = DateTimeOffset.UtcNow.AddHours(1), BackboneBlob = backboneBlob,
        });
        await db.SaveChangesAsync();
        return e.Id;
    }

    /// <summary>A client presenting the bootstrap agent token.</summary>
    public HttpClient AsAgent()
    {
        var client = Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AgentToken);
        return client;
    }

    public PlatformDbContext Db()
    {
        var options = new DbContextOptionsBuilder<PlatformDbContext>();
        DataServiceCollectionExtensions.Configure(options, ConnectionString);
        return new PlatformDbContext(options.Options);
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        if (ConnectionString.Length > 0) await TestEnvironment.DropDatabaseAsync(ConnectionString);
    }
}
