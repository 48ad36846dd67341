using System.Net;
using System.Text.RegularExpressions;
using AdapterLab.Contracts.Lifecycle;
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
/// <remarks>
/// Runs alone (<see cref="MetricsCollection"/>): every host of the test process creates its meter named
/// <c>AdapterLab</c>, and OpenTelemetry merges instruments of one name, unit and description from meters of one name
/// into one metric stream — when another test class's host shuts down and disposes its meter, the merged stream (this
/// orchestrator's queue depth with it) ends in every host's export. A deployed host is a process of its own, so this is
/// a property of the test process only; it made this test fail once in CI (no queue depth within 30 s).
/// </remarks>
[Collection(MetricsCollection.Name)]
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

        long supervisedSteps = 0;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "AdapterLab" && instrument.Name == "adapterlab.training.step") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag.Key == "method" && tag.Value as string == "supervised") Interlocked.Increment(ref supervisedSteps);
        });
        listener.Start();

        // A run the agent trains, and one queued in a pool nobody serves.
        var trained = await platform.SubmitAsync(Specs.Pretrain("metrics-" + Guid.NewGuid().ToString("N")[..6], steps: 4));
        await platform.SubmitAsync(FaultSpecs.Pretrain(4, pool: "metrics-nobody"));
        await platform.WaitForStatusAsync(trained, "Succeeded", TimeSpan.FromMinutes(3));
        var snapshot = await platform.OrchestratorServices.GetRequiredService<OrchestratorMetrics>().RefreshAsync(CancellationToken.None);
        // This orchestrator's figures, exactly (hosts of other test classes share this process, and a meter listener sees
        // every meter of its name in it, so a scrape may carry another host's values for the same series).
        Assert.Equal(1, snapshot.Queues.Single(q => q.Pool == "metrics-nobody").Depth);
        Assert.True(snapshot.ExperimentsByStatus[ExperimentStatus.Succeeded] >= 1);
        Assert.Contains(snapshot.Agents, a => a.Id == platform.AgentId && a.Since < TimeSpan.FromMinutes(1));
        Assert.True(snapshot.BlobStoreBytes > 0);

        // The scrape exports every platform series.
        var orchestrator = await ScrapeAsync(Host("Orchestrator"), @"^adapterlab_queue_depth\{");
        foreach (var series in new[]
                 {
                     @"adapterlab_experiments\{.*status=""Succeeded""", @"adapterlab_queue_oldest_wait_seconds\{", @"adapterlab_agent_heartbeat_age_seconds\{.*agent=",
                     "adapterlab_outbox_pending", "adapterlab_outbox_lag_seconds", "adapterlab_fleet_read_lag_seconds", "adapterlab_blob_store_size_bytes", "adapterlab_fleet_snapshot_age_seconds",
                     "adapterlab_dispatched_total", @"adapterlab_dispatch_queue_wait_seconds_count\{.*pool=", "adapterlab_dispatch_pass_seconds_count",
                     "adapterlab_metric_points_ingested_total", "adapterlab_ingestion_lag_seconds_count", "adapterlab_attempts_live",
                     @"adapterlab_fleet_reports_total\{.*kind=""AgentAnnounced"".*outcome=""stored""",
                 })
            Assert.Matches("(?m)^" + series + @".* \d", orchestrator);

        // Every step the agent trains is measured (a listener of our own: exact for this run, whatever else runs here).
        Assert.True(Interlocked.Read(ref supervisedSteps) >= 4, $"{supervisedSteps} supervised steps measured");
        var agent = await ScrapeAsync(Host("GpuAgent"), @"^adapterlab_training_step_seconds_count\{");
        Assert.Matches(@"(?m)^adapterlab_training_step_seconds_bucket\{.*method=.* \d", agent);
        Assert.Matches(@"(?m)^adapterlab_training_images_total\{.*method=.* \d", agent);
        Assert.Matches(@"(?m)^adapterlab_agent_attempts_running(\{.*\})? \d", agent);
    }
}

/// <summary>The metrics test's collection: not beside other test classes, whose hosts come and go (see its remarks).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    public const string Name = "metrics";
}
