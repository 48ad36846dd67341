using System.Net;
using System.Text.RegularExpressions;
using AdapterLab.IntegrationTests.Faults;
using AdapterLab.IntegrationTests.Infrastructure;
using AdapterLab.Orchestrator.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace AdapterLab.IntegrationTests.Observability;

/// <summary>
/// Every host (web, orchestrator, agent) answers <c>/metrics</c> in Prometheus text, anonymously, beside its health
/// endpoints: the framework series (HTTP, runtime) and the platform's own — queue depth per pool, experiments by
/// status, agent heartbeat age, outbox and blob store on the orchestrator; step time and images per method on the agent.
/// </summary>
public sealed class EveryServiceServesMetrics(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private static async Task<string> ScrapeAsync(Uri host, string until)
    {
        string text = "";
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            using var response = await Http.GetAsync(new Uri(host, "/metrics"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
            text = await response.Content.ReadAsStringAsync();
            if (Regex.IsMatch(text, until, RegexOptions.Multiline)) return text;
            await Task.Delay(500);
        }
        Assert.Fail($"no line matching {until} in {host}/metrics within 30 s:\n{text[..Math.Min(text.Length, 4000)]}");
        return text;
    }

    private Uri Host(string name) => platform.HostAddresses.First(h => h.Name == name).Address;

    [Fact]
    public async Task Every_host_answers_prometheus_text_with_the_platform_series()
    {
        Assert.Equal(["GpuAgent", "Orchestrator", "Web"], platform.HostAddresses.Select(h => h.Name).Distinct().Order());
        foreach (var (_, address) in platform.HostAddresses)
        {
            // One request first, so the HTTP server series has a sample.
            Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync(new Uri(address, "/health/live"))).StatusCode);
            var text = await ScrapeAsync(address, "^http_server_request_duration_seconds_count");
            Assert.Contains("# TYPE ", text);
            Assert.Contains("dotnet_gc_collections_total", text);
        }

        // A run the agent trains, and one queued in a pool nobody serves.
        var trained = await platform.SubmitAsync(Specs.Pretrain("metrics-" + Guid.NewGuid().ToString("N")[..6], steps: 4));
        await platform.SubmitAsync(FaultSpecs.Pretrain(4, pool: "metrics-nobody"));
        await platform.WaitForStatusAsync(trained, "Succeeded", TimeSpan.FromMinutes(3));
        await platform.OrchestratorServices.GetRequiredService<OrchestratorMetrics>().RefreshAsync(CancellationToken.None);

        var orchestrator = await ScrapeAsync(Host("Orchestrator"), @"^adapterlab_queue_depth\{.*pool=""metrics-nobody"".*\} 1\b");
        Assert.Matches(@"(?m)^adapterlab_experiments\{.*status=""Succeeded"".*\} [1-9]", orchestrator);
        Assert.Matches(@"(?m)^adapterlab_queue_oldest_wait_seconds\{.*pool=""metrics-nobody"".*\} \d", orchestrator);
        Assert.Matches($@"(?m)^adapterlab_agent_heartbeat_age_seconds\{{.*agent=""{platform.AgentId}"".*\}} \d", orchestrator);
        Assert.Matches(@"(?m)^adapterlab_outbox_pending(\{.*\})? \d", orchestrator);
        Assert.Matches(@"(?m)^adapterlab_blob_store_size_bytes(\{.*\})? [1-9]", orchestrator);
        Assert.Matches(@"(?m)^adapterlab_dispatched_total(\{.*\})? [1-9]", orchestrator);
        Assert.Matches(@"(?m)^adapterlab_dispatch_queue_wait_seconds_count\{.*pool=""cpu"".*\} [1-9]", orchestrator);
        Assert.Matches(@"(?m)^adapterlab_metric_points_ingested_total(\{.*\})? [1-9]", orchestrator);

        // Hosts of other test classes run in this process too, and a meter listener sees every meter of its name in the
        // process: the series are checked for presence and a floor (this run's 4 steps of 32 images), not exact counts.
        var agent = await ScrapeAsync(Host("GpuAgent"), @"^adapterlab_training_step_seconds_count\{.*method=""supervised"".*\} ([4-9]|\d\d+)\b");
        Assert.Matches(@"(?m)^adapterlab_training_step_seconds_bucket\{.*method=""supervised"".*\} \d", agent);
        Assert.Matches(@"(?m)^adapterlab_training_images_total\{.*method=""supervised"".*\} (12[89]|1[3-9]\d|[2-9]\d\d|\d{4,})\b", agent);
        Assert.Matches(@"(?m)^adapterlab_agent_attempts_running(\{.*\})? \d", agent);
    }
}
