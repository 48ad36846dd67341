using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using AdapterLab.IntegrationTests.Infrastructure;

namespace AdapterLab.IntegrationTests.Observability;

/// <summary>
/// One trace runs from a submission to its agent's first progress report: the web's request (which stores its
/// traceparent with the experiment and the outbox row), the dispatcher's send under it, the agent's consume, and the
/// agent's AttemptProgressed send and the orchestrator's consumer writing it — all in the trace the client started.
/// </summary>
public sealed class OneTraceFromSubmissionToProgress : IClassFixture<PlatformFixture>, IDisposable
{
    private readonly PlatformFixture platform;
    private static readonly ActivitySource Client = new("AdapterLab.Tests.Client");
    private readonly ConcurrentBag<Activity> _finished = [];
    private readonly ActivityListener _listener = new()
    {
        ShouldListenTo = s => s.Name is "MassTransit" or "AdapterLab" or "AdapterLab.Tests.Client" or "Microsoft.AspNetCore",
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    };

    public OneTraceFromSubmissionToProgress(PlatformFixture platform)
    {
        this.platform = platform;
        _listener.ActivityStopped = a => _finished.Add(a);
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose() => _listener.Dispose();

    private static string Describe(Activity a) =>
        a.Source.Name + " " + a.DisplayName + " " + string.Join(" ", a.TagObjects.Select(t => $"{t.Key}={t.Value}"));

    [Fact]
    public async Task A_submission_and_its_agents_first_progress_report_share_one_trace()
    {
        Guid id;
        ActivityTraceId trace;
        using (var root = Client.StartActivity("researcher submits", ActivityKind.Client)!)
        {
            trace = root.TraceId;
            using var response = await platform.Api.PostAsJsonAsync("/api/experiments", Specs.Pretrain("trace-" + Guid.NewGuid().ToString("N")[..6], steps: 6), JsonSerializerOptions.Web);
            Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
            id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        }
        await platform.WaitForStatusAsync(id, "Succeeded", TimeSpan.FromMinutes(3));

        await using (var db = platform.Db())
        {
            var stored = db.Experiments.Single(e => e.Id == id).TraceParent;
            Assert.NotNull(stored);
            Assert.Contains(trace.ToHexString(), stored);
        }

        var inTrace = _finished.Where(a => a.TraceId == trace).Select(Describe).ToList();
        string seen = string.Join("\n", inTrace);
        // The web's request (its server span; OpenTelemetry's enrichment adds the route only where tracing is exported).
        Assert.Contains(inTrace, d => d.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        Assert.Contains(inTrace, d => d.StartsWith("AdapterLab dispatch", StringComparison.Ordinal) && d.Contains(id.ToString()));
        Assert.True(inTrace.Any(d => d.StartsWith("MassTransit", StringComparison.Ordinal) && d.Contains("RunExperiment") && d.Contains("receive")), "the agent's consume of RunExperiment is not in the trace:\n" + seen);
        Assert.True(inTrace.Any(d => d.StartsWith("MassTransit", StringComparison.Ordinal) && d.Contains(":AttemptProgressed send") && d.Contains("messaging.operation=send")), "the agent's AttemptProgressed send is not in the trace:\n" + seen);
        // ...and on to the orchestrator writing it.
        Assert.True(inTrace.Any(d => d.StartsWith("MassTransit", StringComparison.Ordinal) && d.Contains("consumer_type=AdapterLab.Orchestrator.Consumers.AttemptProgressedConsumer")), "the orchestrator's write of the report is not in the trace:\n" + seen);
    }
}
